"""Baseline for scripts/compare-qa-vs-hf.js: question answering fine-tuning as transformers'
run_qa.py does it (examples/pytorch/question-answering: prepare_train_features,
prepare_validation_features, utils_qa.postprocess_qa_predictions, the squad / squad_v2 metrics),
on SQuAD-format JSON files, without `datasets` or `evaluate` (neither is installed here).

  python hf_run_qa.py --model-dir DIR --train-file train.json --validation-file dev.json --output-dir OUT
      [--version-2-with-negative] [--max-seq-length 256] [--doc-stride 128] [--learning-rate 5e-5]
      [--train-batch-size 32] [--eval-batch-size 64] [--epochs 1] [--seed 42] [--weight-decay 0.0]
      [--null-score-diff-threshold 0.0] [--bf16]
      [--order order.json --max-steps N]   (lockstep: features in this order, no shuffling, no eval)

Prints one line `RESULT {json}`: the metrics with run_qa's names (exact_match/f1, or exact, f1,
HasAns_exact, HasAns_f1, NoAns_exact, ...), the training loss, feature counts, wall times and the
process's user / system CPU seconds.
"""
import argparse
import collections
import json
import os
import re
import string
import time

STARTED = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForQuestionAnswering,
    AutoTokenizer,
    Trainer,
    TrainingArguments,
    default_data_collator,
)
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()


def read_squad(path):
    """Examples as run_qa loads SQuAD JSON: id, question, context, answers {text, answer_start}."""
    data = json.load(open(path, encoding="utf-8"))["data"]
    examples = []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else qa.get("answers", [])
                examples.append({
                    "id": qa["id"],
                    "question": qa["question"],
                    "context": paragraph["context"],
                    "answers": {"text": [a["text"] for a in answers], "answer_start": [a["answer_start"] for a in answers]},
                })
    return examples


def tokenize(tokenizer, examples, args):
    return tokenizer(
        [e["question"].lstrip() for e in examples],
        [e["context"] for e in examples],
        truncation="only_second",
        max_length=args.max_seq_length,
        stride=args.doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )


def train_features(tokenizer, examples, args):
    """run_qa.py's prepare_train_features."""
    tokenized = tokenize(tokenizer, examples, args)
    sample_mapping = tokenized.pop("overflow_to_sample_mapping")
    offset_mapping = tokenized.pop("offset_mapping")
    starts, ends = [], []
    for i, offsets in enumerate(offset_mapping):
        input_ids = tokenized["input_ids"][i]
        cls_index = input_ids.index(tokenizer.cls_token_id)
        sequence_ids = tokenized.sequence_ids(i)
        answers = examples[sample_mapping[i]]["answers"]
        if len(answers["answer_start"]) == 0:
            starts.append(cls_index)
            ends.append(cls_index)
            continue
        start_char = answers["answer_start"][0]
        end_char = start_char + len(answers["text"][0])
        token_start_index = 0
        while sequence_ids[token_start_index] != 1:
            token_start_index += 1
        token_end_index = len(input_ids) - 1
        while sequence_ids[token_end_index] != 1:
            token_end_index -= 1
        if not (offsets[token_start_index][0] <= start_char and offsets[token_end_index][1] >= end_char):
            starts.append(cls_index)
            ends.append(cls_index)
        else:
            while token_start_index < len(offsets) and offsets[token_start_index][0] <= start_char:
                token_start_index += 1
            starts.append(token_start_index - 1)
            while offsets[token_end_index][1] >= end_char:
                token_end_index -= 1
            ends.append(token_end_index + 1)
    tokenized["start_positions"] = starts
    tokenized["end_positions"] = ends
    return tokenized


def validation_features(tokenizer, examples, args):
    """run_qa.py's prepare_validation_features: offsets outside the context set to None."""
    tokenized = tokenize(tokenizer, examples, args)
    sample_mapping = tokenized.pop("overflow_to_sample_mapping")
    example_ids, offsets = [], []
    for i in range(len(tokenized["input_ids"])):
        sequence_ids = tokenized.sequence_ids(i)
        example_ids.append(examples[sample_mapping[i]]["id"])
        offsets.append([o if sequence_ids[k] == 1 else None for k, o in enumerate(tokenized["offset_mapping"][i])])
    tokenized.pop("offset_mapping")
    return tokenized, example_ids, offsets


class Features(torch.utils.data.Dataset):
    def __init__(self, encoding, keys):
        self.columns = {k: encoding[k] for k in keys}
        self.length = len(encoding["input_ids"])

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        return {k: torch.tensor(v[i]) for k, v in self.columns.items()}


def postprocess(examples, example_ids, offsets, start_logits, end_logits, version_2, threshold, n_best_size=20, max_answer_length=30):
    """utils_qa.postprocess_qa_predictions."""
    features_per_example = collections.defaultdict(list)
    for i, example_id in enumerate(example_ids):
        features_per_example[example_id].append(i)
    predictions = {}
    for example in examples:
        min_null = None
        prelim = []
        for fi in features_per_example[example["id"]]:
            s_logits, e_logits, offset_mapping = start_logits[fi], end_logits[fi], offsets[fi]
            null_score = s_logits[0] + e_logits[0]
            if min_null is None or min_null["score"] > null_score:
                min_null = {"offsets": (0, 0), "score": null_score, "start_logit": s_logits[0], "end_logit": e_logits[0]}
            start_indexes = np.argsort(s_logits)[-1: -n_best_size - 1: -1].tolist()
            end_indexes = np.argsort(e_logits)[-1: -n_best_size - 1: -1].tolist()
            for s in start_indexes:
                for e in end_indexes:
                    if s >= len(offset_mapping) or e >= len(offset_mapping) or offset_mapping[s] is None or offset_mapping[e] is None:
                        continue
                    if e < s or e - s + 1 > max_answer_length:
                        continue
                    prelim.append({"offsets": (offset_mapping[s][0], offset_mapping[e][1]), "score": s_logits[s] + e_logits[e],
                                   "start_logit": s_logits[s], "end_logit": e_logits[e]})
        if version_2 and min_null is not None:
            prelim.append(min_null)
            null_score = min_null["score"]
        preds = sorted(prelim, key=lambda x: x["score"], reverse=True)[:n_best_size]
        if version_2 and min_null is not None and not any(p["offsets"] == (0, 0) for p in preds):
            preds.append(min_null)
        for p in preds:
            p["text"] = example["context"][p["offsets"][0]: p["offsets"][1]]
        if len(preds) == 0 or (len(preds) == 1 and preds[0]["text"] == ""):
            preds.insert(0, {"text": "empty", "start_logit": 0.0, "end_logit": 0.0, "score": 0.0})
        if not version_2:
            predictions[example["id"]] = preds[0]["text"]
        else:
            i = 0
            while preds[i]["text"] == "":
                i += 1
            best = preds[i]
            diff = null_score - best["start_logit"] - best["end_logit"]
            predictions[example["id"]] = "" if diff > threshold else best["text"]
    return predictions


def normalize_answer(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1_score(prediction, truth):
    p, t = normalize_answer(prediction).split(), normalize_answer(truth).split()
    if len(p) == 0 or len(t) == 0:
        return float(p == t)
    common = collections.Counter(p) & collections.Counter(t)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(t)
    return 2 * precision * recall / (precision + recall)


def squad_metrics(examples, predictions, version_2):
    """The official SQuAD v1.1 / v2.0 evaluation (v2: an unanswerable question's gold answer is "")."""
    exact, f1, has, no = [], [], [], []
    for e in examples:
        golds = [t for t in e["answers"]["text"] if normalize_answer(t)] or ([""] if version_2 else [])
        if not golds:
            continue
        pred = predictions[e["id"]]
        em = max(float(normalize_answer(pred) == normalize_answer(g)) for g in golds)
        f = max(f1_score(pred, g) for g in golds)
        exact.append(em)
        f1.append(f)
        (has if e["answers"]["text"] else no).append((em, f))
    pct = lambda xs: 100.0 * sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    if not version_2:
        return {"exact_match": pct(exact), "f1": pct(f1)}
    out = {"exact": pct(exact), "f1": pct(f1), "total": len(exact)}
    if has:
        out.update({"HasAns_exact": pct([x[0] for x in has]), "HasAns_f1": pct([x[1] for x in has]), "HasAns_total": len(has)})
    if no:
        out.update({"NoAns_exact": pct([x[0] for x in no]), "NoAns_f1": pct([x[1] for x in no]), "NoAns_total": len(no)})
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--train-file", required=True)
    parser.add_argument("--validation-file", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--version-2-with-negative", action="store_true")
    parser.add_argument("--max-seq-length", type=int, default=256)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--train-batch-size", type=int, default=32)
    parser.add_argument("--eval-batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--null-score-diff-threshold", type=float, default=0.0)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--order")
    parser.add_argument("--max-steps", type=int, default=-1)
    args = parser.parse_args()

    torch.set_num_threads(os.cpu_count())
    tokenizer = AutoTokenizer.from_pretrained(args.model_dir)
    model = AutoModelForQuestionAnswering.from_pretrained(args.model_dir)
    train_examples = read_squad(args.train_file)
    eval_examples = read_squad(args.validation_file)
    train_encoding = train_features(tokenizer, train_examples, args)
    keys = ["input_ids", "token_type_ids", "attention_mask"]
    train_set = Features(train_encoding, keys + ["start_positions", "end_positions"])
    eval_encoding, example_ids, offsets = validation_features(tokenizer, eval_examples, args)
    eval_set = Features(eval_encoding, keys)
    training_args = TrainingArguments(
        output_dir=args.output_dir,
        per_device_train_batch_size=args.train_batch_size,
        per_device_eval_batch_size=args.eval_batch_size,
        learning_rate=args.learning_rate,
        num_train_epochs=args.epochs,
        weight_decay=args.weight_decay,
        seed=args.seed,
        bf16=args.bf16,
        save_strategy="no",
        report_to=[],
        logging_steps=10_000,
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
    )
    if args.order:
        return lockstep(model, training_args, train_set, json.load(open(args.order)), args.max_steps)
    trainer = Trainer(model=model, args=training_args, train_dataset=train_set, data_collator=default_data_collator)
    t0 = time.perf_counter()
    train_output = trainer.train()
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    start_logits, end_logits = trainer.predict(eval_set).predictions
    predictions = postprocess(eval_examples, example_ids, offsets, start_logits, end_logits, args.version_2_with_negative, args.null_score_diff_threshold)
    eval_s = time.perf_counter() - t0
    metrics = squad_metrics(eval_examples, predictions, args.version_2_with_negative)
    os.makedirs(args.output_dir, exist_ok=True)
    json.dump(predictions, open(os.path.join(args.output_dir, "eval_predictions.json"), "w"), indent=1)
    times = os.times()
    print("RESULT " + json.dumps({
        **metrics,
        "train_loss": train_output.training_loss,
        "train_features": len(train_set),
        "eval_features": len(eval_set),
        "train_wall_s": train_s,
        "eval_wall_s": eval_s,
        "wall_s": time.perf_counter() - STARTED,
        "user_s": times.user,
        "sys_s": times.system,
    }))


class OrderedTrainer(Trainer):
    """The HF Trainer, reading the training set in the given order and recording each step's loss."""

    step_losses = []

    def _get_train_sampler(self, *args, **kwargs):
        return torch.utils.data.SequentialSampler(self.train_dataset)

    def compute_loss(self, model, inputs, *args, **kwargs):
        loss = super().compute_loss(model, inputs, *args, **kwargs)
        value = loss[0] if isinstance(loss, tuple) else loss
        self.step_losses.append(float(value.detach()))
        return loss


def lockstep(model, training_args, train_set, order, max_steps):
    if sorted(order) != list(range(len(train_set))):
        raise SystemExit(f"--order must be a permutation of the {len(train_set)} training features, got {len(order)} indices")
    training_args.max_steps = max_steps
    trainer = OrderedTrainer(model=model, args=training_args, train_dataset=torch.utils.data.Subset(train_set, order), data_collator=default_data_collator)
    trainer.train()
    print("RESULT " + json.dumps({"train_features": len(train_set), "step_losses": trainer.step_losses}))


if __name__ == "__main__":
    main()
