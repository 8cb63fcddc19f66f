"""Baseline for scripts/bench-vs-hf.js: the same fine-tuning with Hugging Face transformers' Trainer,
as run_glue.py does it for a sentence-pair TSV (no `datasets` needed: a plain torch Dataset).

  python hf_finetune.py --model-dir DIR --train-file train.tsv --validation-file dev.tsv \
      --labels positive,negtive,neutral --padding max_length|longest --output-dir OUT \
      [--max-seq-length 128] [--learning-rate 5e-5] [--train-batch-size 16] [--eval-batch-size 64] \
      [--epochs 1] [--warmup-steps 0] [--weight-decay 0.01] [--max-grad-norm 1.0] [--seed 42]

--padding max_length is run_glue.py's default (pad_to_max_length=True: every example padded to
max_seq_length at tokenization, default_data_collator); --padding longest is run_glue.py with
--pad_to_max_length False (DataCollatorWithPadding: each batch padded to its longest example).
Prints one line `RESULT {json}` with accuracy, the wall times of training and evaluation
(perf_counter around trainer.train() / trainer.evaluate()), the Trainer's own runtimes, process
CPU time and the tokenized length statistics of the training set.
"""
import argparse
import csv
import json
import os
import resource
import sys
import time

STARTED = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    default_data_collator,
    set_seed,
)
from transformers.utils import logging as hf_logging  # noqa: E402

IMPORTED = time.perf_counter()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", required=True)
    p.add_argument("--train-file", required=True)
    p.add_argument("--validation-file", required=True)
    p.add_argument("--labels", required=True, help="comma-separated, in id order")
    p.add_argument("--padding", choices=["max_length", "longest"], default="max_length")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--max-seq-length", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=5e-5)
    p.add_argument("--train-batch-size", type=int, default=16)
    p.add_argument("--eval-batch-size", type=int, default=64)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    return p.parse_args()


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


class Features(torch.utils.data.Dataset):
    """What run_glue's datasets.map produces, as a list of dicts (the Trainer's collators take those)."""

    def __init__(self, encodings, labels):
        self.encodings = encodings
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        item = {k: v[i] for k, v in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    hf_logging.set_verbosity_error()
    labels = a.labels.split(",")
    label2id = {l: i for i, l in enumerate(labels)}

    # run_glue.py: set_seed before the model is created (the new classifier head's init).
    set_seed(a.seed)
    t0 = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(a.model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(
        a.model_dir,
        num_labels=len(labels),
        id2label={i: l for i, l in enumerate(labels)},
        label2id=label2id,
        dtype=torch.float32,
    )
    load_s = time.perf_counter() - t0

    # run_glue.py's preprocess_function: padding="max_length" if pad_to_max_length else False.
    t0 = time.perf_counter()
    padding = "max_length" if a.padding == "max_length" else False

    def featurize(path):
        rows = read_tsv(path)
        enc = tokenizer(
            [r["sentence1"] for r in rows], [r["sentence2"] for r in rows],
            padding=padding, max_length=a.max_seq_length, truncation=True,
        )
        return Features(dict(enc), [label2id[r["label"]] for r in rows])

    train = featurize(a.train_file)
    dev = featurize(a.validation_file)
    tokenize_s = time.perf_counter() - t0
    lengths = sorted(sum(m) for m in train.encodings["attention_mask"])
    untruncated = tokenizer([r["sentence1"] for r in read_tsv(a.train_file)], [r["sentence2"] for r in read_tsv(a.train_file)])
    truncated = sum(len(ids) > a.max_seq_length for ids in untruncated["input_ids"])

    # run_glue.py: default_data_collator when pad_to_max_length, else DataCollatorWithPadding.
    collator = default_data_collator if a.padding == "max_length" else DataCollatorWithPadding(tokenizer)

    def compute_metrics(p):
        preds = np.argmax(p.predictions, axis=1)
        return {"accuracy": float((preds == p.label_ids).mean())}

    args = TrainingArguments(
        output_dir=a.output_dir,
        per_device_train_batch_size=a.train_batch_size,
        per_device_eval_batch_size=a.eval_batch_size,
        learning_rate=a.learning_rate,
        num_train_epochs=a.epochs,
        lr_scheduler_type="linear",
        warmup_steps=a.warmup_steps,
        weight_decay=a.weight_decay,
        max_grad_norm=a.max_grad_norm,
        seed=a.seed,
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="no",
        report_to=[],
        disable_tqdm=True,
        use_cpu=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev,
                      data_collator=collator, compute_metrics=compute_metrics)

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    train_out = trainer.train()
    train_s = time.perf_counter() - t0
    train_cpu_s = time.process_time() - cpu0

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    metrics = trainer.evaluate()
    eval_s = time.perf_counter() - t0
    eval_cpu_s = time.process_time() - cpu0

    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "padding": a.padding,
        "accuracy": metrics["eval_accuracy"],
        "eval_loss": metrics["eval_loss"],
        "train_loss": train_out.training_loss,
        "global_step": train_out.global_step,
        "train_wall_s": train_s,
        "eval_wall_s": eval_s,
        "train_runtime": train_out.metrics.get("train_runtime"),
        "eval_runtime": metrics.get("eval_runtime"),
        "train_cpu_s": train_cpu_s,
        "eval_cpu_s": eval_cpu_s,
        "import_s": IMPORTED - STARTED,
        "load_s": load_s,
        "tokenize_s": tokenize_s,
        "process_cpu_s": usage.ru_utime + usage.ru_stime,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "optim": str(args.optim),
        "train_lengths": {
            "mean": float(np.mean(lengths)),
            "p50": lengths[len(lengths) // 2],
            "p90": lengths[int(len(lengths) * 0.9)],
            "max": lengths[-1],
            "truncated": truncated,
        },
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
