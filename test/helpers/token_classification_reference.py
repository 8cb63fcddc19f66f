"""Hugging Face tokenization of word lists (is_split_into_words=True), for the token-classification tests.

Usage: python token_classification_reference.py request.json
request.json: {"tokenizers": {name: {"vocab": path, "do_lower_case": bool} | {"dir": path}},
               "label_list": [label names in id order],
               "cases": [{"tok": name, "words": [str], "tags": [str], "max_length": int}]}
A tokenizer with "vocab" is BertTokenizerFast(vocab=..., do_lower_case=...); one with "dir" is
AutoTokenizer.from_pretrained(dir). Each case is tokenized as run_ner.py does it:
tok(words, truncation=True, max_length=max_length, is_split_into_words=True).
Prints JSON: {"classes": {name: class name}, "sizes": {name: len(tokenizer)},
              "results": [{"input_ids", "token_type_ids", "word_ids", "untruncated_word_ids",
                           "labels_first", "labels_all"} | {"error"}]}
where labels_first / labels_all are the per-token labels with label_all_tokens False / True, computed
here from word_ids by the rule run_ner.py states (first sub-token: the word's label; other
sub-tokens: -100, or the I- label of a B- word; special tokens: -100).
"""
import json
import sys

from transformers import AutoTokenizer, BertTokenizerFast
from transformers.utils import logging

logging.set_verbosity_error()


def load(spec):
    if "dir" in spec:
        return AutoTokenizer.from_pretrained(spec["dir"])
    return BertTokenizerFast(vocab=spec["vocab"], do_lower_case=spec["do_lower_case"])


def inside_label(label_list):
    """For each id, the id of the I- twin of a B- label, else the id itself."""
    index = {name: i for i, name in reversed(list(enumerate(label_list)))}
    out = []
    for i, name in enumerate(label_list):
        twin = name.replace("B-", "I-") if name.startswith("B-") else None
        out.append(index.get(twin, i) if twin is not None else i)
    return out


def aligned(word_ids, tag_ids, to_inside, label_all):
    labels = []
    previous = None
    for word in word_ids:
        if word is None:
            labels.append(-100)
        elif word != previous:
            labels.append(tag_ids[word])
        else:
            labels.append(to_inside[tag_ids[word]] if label_all else -100)
        previous = word
    return labels


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    toks = {name: load(spec) for name, spec in request["tokenizers"].items()}
    label_list = request["label_list"]
    label_id = {name: i for i, name in enumerate(label_list)}
    to_inside = inside_label(label_list)
    results = []
    for case in request["cases"]:
        tok = toks[case["tok"]]
        try:
            enc = tok(case["words"], truncation=True, max_length=case["max_length"], is_split_into_words=True)
        except BaseException as err:  # a Rust panic arrives as PanicException, a BaseException
            results.append({"error": f"{type(err).__name__}: {err}"})
            continue
        word_ids = enc.word_ids()
        full = tok(case["words"], truncation=False, is_split_into_words=True).word_ids()
        tag_ids = [label_id[t] for t in case["tags"]]
        results.append({
            "input_ids": enc["input_ids"],
            "token_type_ids": enc["token_type_ids"],
            "word_ids": word_ids,
            "untruncated_word_ids": full,
            "labels_first": aligned(word_ids, tag_ids, to_inside, False),
            "labels_all": aligned(word_ids, tag_ids, to_inside, True),
        })
    json.dump({"classes": {n: type(t).__name__ for n, t in toks.items()}, "sizes": {n: len(t) for n, t in toks.items()}, "results": results}, sys.stdout, ensure_ascii=True)


main()
