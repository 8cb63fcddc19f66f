"""Baseline (b) for scripts/bench-train.js: Hugging Face transformers doing the same step.

Usage: python hf_train_step.py layers hidden heads intermediate vocab batch seq steps warmup threads [device] [precision]
device: cpu (default) or cuda; precision: fp32 (default), bf16 (autocast) or fp16 (autocast +
GradScaler), as HF's Trainer runs them. Prints one JSON line with train and inference samples/s.
Same step as bertrun: forward + loss + backward, (unscale,) clip_grad_norm_(1.0),
torch.optim.AdamW (fused on CUDA, as bertrun), zero_grad. Attention: SDPA (transformers' default).
"""
import json
import sys
import time

import torch
from transformers import BertConfig, BertForSequenceClassification

layers, hidden, heads, inter, vocab, batch, seq, steps, warmup, threads = map(int, sys.argv[1:11])
device = sys.argv[11] if len(sys.argv) > 11 else "cpu"
precision = sys.argv[12] if len(sys.argv) > 12 else "fp32"
autocast_dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
torch.set_num_threads(threads)
torch.manual_seed(0)
config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                    intermediate_size=inter, num_labels=2)
config._attn_implementation = "sdpa"
model = BertForSequenceClassification(config).to(device)
no_decay = ["bias", "LayerNorm.weight"]
groups = [
    {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
    {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(groups, lr=1e-5, fused=device == "cuda")
scaler = torch.amp.GradScaler(device, enabled=precision == "fp16")
input_ids = torch.randint(1, vocab, (batch, seq)).to(device)
token_type_ids = torch.zeros_like(input_ids)
labels = torch.randint(0, 2, (batch,)).to(device)

model.train()


def autocast():
    return torch.autocast(device, dtype=autocast_dtype, enabled=autocast_dtype is not None)


def sync():
    if device == "cuda":
        torch.cuda.synchronize()


def train_step():
    with autocast():
        loss = model(input_ids=input_ids, token_type_ids=token_type_ids, labels=labels).loss
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad()


for _ in range(warmup):
    train_step()
sync()
t0 = time.perf_counter()
for _ in range(steps):
    train_step()
sync()
train_s = time.perf_counter() - t0

model.eval()


def infer_step():
    with torch.no_grad(), autocast():
        model(input_ids=input_ids, token_type_ids=token_type_ids).logits.sum().item()


for _ in range(warmup):
    infer_step()
t0 = time.perf_counter()
for _ in range(steps):
    infer_step()
infer_s = time.perf_counter() - t0
print(json.dumps({"train_samples_per_s": batch * steps / train_s, "infer_samples_per_s": batch * steps / infer_s}))
