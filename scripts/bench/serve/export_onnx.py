"""Exports a BERT model directory to the layout transformers.js loads from a local path.

    python export_onnx.py --model-dir DIR --out-dir OUT --task sequence-classification|feature-extraction

OUT gets config.json and the tokenizer files (copied) and onnx/model.onnx: one fp32 file (no
external data), inputs input_ids / attention_mask / token_type_ids (int64, dynamic batch and
sequence axes), output `logits` (sequence-classification) or `last_hidden_state`
(feature-extraction), as optimum's export names them, which is what transformers.js reads.

The export follows optimum's recipe (TorchScript exporter, eager attention, constant folding) so
that onnxruntime sees the graph it normally gets from the Hub's ONNX models and can apply its
attention / LayerNorm / GELU fusions. Used by scripts/bench-serve.js; bench-only.
"""

import argparse
import json
import os
import shutil
import sys
import warnings

import torch
from transformers import AutoModel, AutoModelForSequenceClassification

TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]


class Wrapped(torch.nn.Module):
    """Positional inputs in a fixed order and a single named output, for the exporter."""

    def __init__(self, model, output):
        super().__init__()
        self.model = model
        self.output = output

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return out[self.output]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--task", choices=["sequence-classification", "feature-extraction"], required=True)
    parser.add_argument("--opset", type=int, default=14)
    args = parser.parse_args()

    if args.task == "sequence-classification":
        model = AutoModelForSequenceClassification.from_pretrained(args.model_dir, attn_implementation="eager")
        output = "logits"
    else:
        model = AutoModel.from_pretrained(args.model_dir, attn_implementation="eager", add_pooling_layer=False)
        output = "last_hidden_state"
    model.eval()

    os.makedirs(os.path.join(args.out_dir, "onnx"), exist_ok=True)
    for name in TOKENIZER_FILES + ["config.json"]:
        src = os.path.join(args.model_dir, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(args.out_dir, name))

    # A batch of 2 x 16 tokens as the example; both axes are declared dynamic.
    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    target = os.path.join(args.out_dir, "onnx", "model.onnx")
    tmp = target + ".tmp"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            Wrapped(model, output),
            (ids, mask, types),
            tmp,
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=[output],
            dynamic_axes={
                "input_ids": {0: "batch_size", 1: "sequence_length"},
                "attention_mask": {0: "batch_size", 1: "sequence_length"},
                "token_type_ids": {0: "batch_size", 1: "sequence_length"},
                output: {0: "batch_size", 1: "sequence_length"} if output == "last_hidden_state" else {0: "batch_size"},
            },
            opset_version=args.opset,
            do_constant_folding=True,
        )
    os.replace(tmp, target)

    # Structural check only; the bench's agreement line checks its answers against the other servers.
    import onnx

    onnx.checker.check_model(target)
    print(json.dumps({"onnx": target, "output": output, "bytes": os.path.getsize(target)}))


if __name__ == "__main__":
    sys.exit(main())
