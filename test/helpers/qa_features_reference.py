"""Windows and answer targets for SQuAD-style examples, the way transformers' run_qa.py
prepare_train_features computes them (BertTokenizerFast, truncation only_second, overflowing
windows with stride, offsets), for the live comparison in qa_features_live.test.ts.

usage: qa_features_reference.py cases.json out.json
cases.json: {"vocab": path, "max_seq_length", "doc_stride", "examples": [{"question", "context",
"answer_start": [int], "text": [str]}]} (answer_start in Python characters).
"""
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    # A model directory holding only vocab.txt + tokenizer_config.json, as transformers loads it.
    model_dir = tempfile.mkdtemp()
    shutil.copy(cases["vocab"], os.path.join(model_dir, "vocab.txt"))
    json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True}, open(os.path.join(model_dir, "tokenizer_config.json"), "w"))
    tok = AutoTokenizer.from_pretrained(model_dir)
    assert tok.is_fast
    examples = cases["examples"]
    enc = tok(
        [e["question"].lstrip() for e in examples],
        [e["context"] for e in examples],
        truncation="only_second",
        max_length=cases["max_seq_length"],
        stride=cases["doc_stride"],
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    out = []
    for i, offsets in enumerate(enc["offset_mapping"]):
        input_ids = enc["input_ids"][i]
        seq = enc.sequence_ids(i)
        example = examples[enc["overflow_to_sample_mapping"][i]]
        start = end = input_ids.index(tok.cls_token_id)
        if example["answer_start"]:
            start_char = example["answer_start"][0]
            end_char = start_char + len(example["text"][0])
            s = 0
            while seq[s] != 1:
                s += 1
            e = len(input_ids) - 1
            while seq[e] != 1:
                e -= 1
            if offsets[s][0] <= start_char and offsets[e][1] >= end_char:
                while s < len(offsets) and offsets[s][0] <= start_char:
                    s += 1
                start = s - 1
                while offsets[e][1] >= end_char:
                    e -= 1
                end = e + 1
        out.append({
            "example": enc["overflow_to_sample_mapping"][i],
            "input_ids": input_ids,
            "token_type_ids": enc["token_type_ids"][i],
            "offsets": [list(o) if seq[t] == 1 else None for t, o in enumerate(offsets)],
            "start": start,
            "end": end,
        })
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"))


main()
