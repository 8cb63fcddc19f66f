"""Baseline (b) for scripts/bench-train.js: Hugging Face transformers doing the same step.

Usage: python hf_train_step.py layers hidden heads intermediate vocab batch seq steps warmup threads [device] [precision] [task]
device: cpu (default) or cuda; precision: fp32 (default), bf16 (autocast) or fp16 (autocast +
GradScaler), as HF's Trainer runs them; task: sequence-classification (default),
question-answering or masked-lm (15% of the positions labelled). Prints one JSON line with train and inference samples/s and the process's
user and system CPU seconds during the timed training steps.
Same step as bertrun: forward + loss + backward, (unscale,) clip_grad_norm_(1.0),
torch.optim.AdamW (fused on CUDA, as bertrun), zero_grad. Attention: SDPA (transformers' default).
"""
import json
import os
import sys
import time

import torch
from transformers import BertConfig, BertForMaskedLM, BertForQuestionAnswering, BertForSequenceClassification

layers, hidden, heads, inter, vocab, batch, seq, steps, warmup, threads = map(int, sys.argv[1:11])
device = sys.argv[11] if len(sys.argv) > 11 else "cpu"
precision = sys.argv[12] if len(sys.argv) > 12 else "fp32"
task = sys.argv[13] if len(sys.argv) > 13 else "sequence-classification"
autocast_dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
torch.set_num_threads(threads)
torch.manual_seed(0)
config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                    intermediate_size=inter, num_labels=2)
config._attn_implementation = "sdpa"
model = {"question-answering": BertForQuestionAnswering, "masked-lm": BertForMaskedLM}.get(task, BertForSequenceClassification)(config).to(device)
no_decay = ["bias", "LayerNorm.weight"]
groups = [
    {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
    {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(groups, lr=1e-5, fused=device == "cuda")
scaler = torch.amp.GradScaler(device, enabled=precision == "fp16")
input_ids = torch.randint(1, vocab, (batch, seq)).to(device)
token_type_ids = torch.zeros_like(input_ids)
if task == "question-answering":
    targets = {"start_positions": torch.randint(0, seq, (batch,)).to(device), "end_positions": torch.randint(0, seq, (batch,)).to(device)}
elif task == "masked-lm":
    # run_mlm's share: 15% of the positions labelled with their id, the rest -100.
    targets = {"labels": torch.where(torch.rand(batch, seq) < 0.15, input_ids.cpu(), torch.full((batch, seq), -100)).to(device)}
else:
    targets = {"labels": torch.randint(0, 2, (batch,)).to(device)}

model.train()


def autocast():
    return torch.autocast(device, dtype=autocast_dtype, enabled=autocast_dtype is not None)


def sync():
    if device == "cuda":
        torch.cuda.synchronize()


def train_step():
    with autocast():
        loss = model(input_ids=input_ids, token_type_ids=token_type_ids, **targets).loss
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad()


for _ in range(warmup):
    train_step()
sync()
cpu0 = os.times()
t0 = time.perf_counter()
for _ in range(steps):
    train_step()
sync()
train_s = time.perf_counter() - t0
cpu1 = os.times()

model.eval()


def infer_step():
    with torch.no_grad(), autocast():
        outputs = model(input_ids=input_ids, token_type_ids=token_type_ids)
        (outputs.start_logits if task == "question-answering" else outputs.logits).sum().item()


for _ in range(warmup):
    infer_step()
t0 = time.perf_counter()
for _ in range(steps):
    infer_step()
infer_s = time.perf_counter() - t0
print(json.dumps({
    "train_samples_per_s": batch * steps / train_s,
    "infer_samples_per_s": batch * steps / infer_s,
    "train_wall_s": train_s,
    "train_user_s": cpu1.user - cpu0.user,
    "train_sys_s": cpu1.system - cpu0.system,
}))
