"""Reference math for bertrun's multi-head models: transformers' BertModel (with its pooler when a
head reads the pooled output) and one nn.Linear per head, each head's loss as the matching
single-head transformers model computes it (BertForSequenceClassification for classification /
multi-label / regression, BertForTokenClassification for token-classification), summed with the
heads' loss weights.

Usage: python multi_head_reference.py case.json out_dir
case.json: { "config": {HF BertConfig fields}, "heads": [{name, type, num_labels, loss_weight}],
             "seed", "input_ids", "token_type_ids", "attention_mask", "head_labels": {name: nested list} }
Writes out_dir/weights.safetensors (bert.* and heads.<name>.* parameters) and
out_dir/expected.safetensors (loss, loss.<head>, logits.<head>, grad.<param>), float32.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertModel


def main():
    case = json.load(open(sys.argv[1]))
    out_dir = sys.argv[2]
    torch.manual_seed(case["seed"])
    config = BertConfig(**case["config"])
    config._attn_implementation = "eager"
    heads = case["heads"]
    pooled = any(h["type"] != "token-classification" for h in heads)
    bert = BertModel(config, add_pooling_layer=pooled)
    linears = torch.nn.ModuleDict({h["name"]: torch.nn.Linear(config.hidden_size, h["num_labels"]) for h in heads})
    # Non-trivial values everywhere (HF's init leaves biases 0 and LayerNorm 1/0).
    g = torch.Generator().manual_seed(case["seed"])
    params = [("bert." + n, p) for n, p in bert.named_parameters()] + [("heads." + n, p) for n, p in linears.named_parameters()]
    with torch.no_grad():
        for name, p in params:
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_((0.1 if p.dim() == 1 else 0.2) * torch.randn(p.shape, generator=g))

    long = lambda key: torch.tensor(case[key], dtype=torch.long)  # noqa: E731
    out = bert(input_ids=long("input_ids"), token_type_ids=long("token_type_ids"), attention_mask=long("attention_mask"))
    expected = {}
    total = 0
    for h in heads:
        name, n = h["name"], h["num_labels"]
        token = h["type"] == "token-classification"
        logits = linears[name](out.last_hidden_state if token else out.pooler_output)
        expected[f"logits.{name}"] = logits
        if name not in case["head_labels"]:
            continue
        labels = case["head_labels"][name]
        if h["type"] in ("classification", "token-classification"):
            loss = torch.nn.CrossEntropyLoss()(logits.view(-1, n), torch.tensor(labels, dtype=torch.long).view(-1))
        elif h["type"] == "multi-label":
            loss = torch.nn.BCEWithLogitsLoss()(logits, torch.tensor(labels, dtype=torch.float32))
        else:
            y = torch.tensor(labels, dtype=torch.float32)
            loss = torch.nn.MSELoss()(logits.squeeze(), y.squeeze()) if n == 1 else torch.nn.MSELoss()(logits, y)
        expected[f"loss.{name}"] = loss.detach().reshape([])
        total = total + h["loss_weight"] * loss
    total.backward()
    expected["loss"] = total.detach().reshape([])
    for name, p in params:
        if p.grad is not None:
            expected[f"grad.{name}"] = p.grad
    weights = {name: p.detach().float().clone().contiguous() for name, p in params}
    save_file(weights, os.path.join(out_dir, "weights.safetensors"))
    save_file({k: v.detach().float().clone().contiguous() for k, v in expected.items()}, os.path.join(out_dir, "expected.safetensors"))
    print(json.dumps({"transformers": __import__("transformers").__version__}))


if __name__ == "__main__":
    main()
