"""Baseline (b) for scripts/bench-train.js: Hugging Face transformers doing the same step.

Usage: python hf_train_step.py layers hidden heads intermediate vocab batch seq steps warmup threads
Prints one JSON line with train and inference samples/s. Same step as bertrun: forward + loss +
backward, clip_grad_norm_(1.0), torch.optim.AdamW (its defaults for the device), zero_grad.
"""
import json
import sys
import time

import torch
from transformers import BertConfig, BertForSequenceClassification

layers, hidden, heads, inter, vocab, batch, seq, steps, warmup, threads = map(int, sys.argv[1:11])
torch.set_num_threads(threads)
torch.manual_seed(0)
config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                    intermediate_size=inter, num_labels=2)
model = BertForSequenceClassification(config)
no_decay = ["bias", "LayerNorm.weight"]
groups = [
    {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
    {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(groups, lr=1e-5)
input_ids = torch.randint(1, vocab, (batch, seq))
token_type_ids = torch.zeros_like(input_ids)
labels = torch.randint(0, 2, (batch,))

model.train()


def train_step():
    loss = model(input_ids=input_ids, token_type_ids=token_type_ids, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()


for _ in range(warmup):
    train_step()
t0 = time.perf_counter()
for _ in range(steps):
    train_step()
train_s = time.perf_counter() - t0

model.eval()


def infer_step():
    with torch.no_grad():
        model(input_ids=input_ids, token_type_ids=token_type_ids).logits.sum().item()


for _ in range(warmup):
    infer_step()
t0 = time.perf_counter()
for _ in range(steps):
    infer_step()
infer_s = time.perf_counter() - t0
print(json.dumps({"train_samples_per_s": batch * steps / train_s, "infer_samples_per_s": batch * steps / infer_s}))
