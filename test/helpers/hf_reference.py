"""Runs Hugging Face transformers on the cases a live parity test asks for.

Usage: python hf_reference.py cases.json out_dir
cases.json: [{ "name", "task", "config": {HF BertConfig fields}, "seed", "input_ids", "token_type_ids",
               "attention_mask", "labels"?, "start_positions"?, "end_positions"? }]  (nested lists)
Writes out_dir/<name>.weights.safetensors (the model's parameters) and
out_dir/<name>.expected.safetensors (outputs, loss, grad.<param>), float32.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertForMaskedLM, BertForQuestionAnswering,
                          BertForSequenceClassification, BertForTokenClassification, BertModel)

CLASSES = {
    "base": BertModel,
    "sequence-classification": BertForSequenceClassification,
    "question-answering": BertForQuestionAnswering,
    "token-classification": BertForTokenClassification,
    "masked-lm": BertForMaskedLM,
}


def perturb(model, seed):
    # HF's init leaves biases 0 and LayerNorm 1/0; non-trivial values test every term.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))


def run_case(case, out_dir):
    torch.manual_seed(case["seed"])
    config = BertConfig(**case["config"])
    config._attn_implementation = "eager"
    model = CLASSES[case["task"]](config)
    perturb(model, case["seed"])
    long = lambda key: torch.tensor(case[key], dtype=torch.long)
    inputs = dict(input_ids=long("input_ids"), token_type_ids=long("token_type_ids"), attention_mask=long("attention_mask"))
    if "labels" in case:
        dtype = torch.float32 if case.get("float_labels") else torch.long
        inputs["labels"] = torch.tensor(case["labels"], dtype=dtype)
    if "start_positions" in case:
        inputs["start_positions"] = long("start_positions")
        inputs["end_positions"] = long("end_positions")

    expected = {}
    model.eval()
    with torch.no_grad():
        out = model(**{k: v for k, v in inputs.items()}, output_hidden_states=True)
    for key in ("last_hidden_state", "pooler_output", "logits", "start_logits", "end_logits"):
        value = getattr(out, key, None)
        if value is not None:
            expected[key] = value
    for i, h in enumerate(out.hidden_states):
        expected[f"hidden_states.{i}"] = h
    if getattr(out, "loss", None) is not None:
        model.train()  # dropout probabilities are 0 in every live case: train == eval numerically
        loss = model(**inputs).loss
        loss.backward()
        expected["loss"] = loss.detach().reshape([])
        for name, p in model.named_parameters():
            if p.grad is not None:
                expected[f"grad.{name}"] = p.grad
    weights = {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("position_ids")}
    save_file({k: v.detach().float().clone() for k, v in weights.items()},
              os.path.join(out_dir, f"{case['name']}.weights.safetensors"))
    save_file({k: v.detach().float().clone() for k, v in expected.items()},
              os.path.join(out_dir, f"{case['name']}.expected.safetensors"))


def main():
    cases = json.load(open(sys.argv[1]))
    for case in cases:
        run_case(case, sys.argv[2])
    print(json.dumps({"transformers": __import__("transformers").__version__, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
