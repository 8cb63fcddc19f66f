"""Hugging Face tokenization of test inputs, for the tokenizer parity tests.

Usage: python tokenizer_reference.py request.json
request.json: {"dirs": {name: directory},
               "cases": [{"tok": name, "text": str, "pair": str | null,
                          "kwargs": {max_length, truncation, stride, return_overflowing_tokens,
                                     add_special_tokens},
                          "slow": bool}]}
Prints a JSON list, one entry per case:
  {"fast": {"windows": [...], "decoded": str, "decoded_skip": str} | {"error": str},
   "slow": {"input_ids": [...], "token_type_ids": [...]} | {"error": str} | null}
where fast is AutoTokenizer.from_pretrained(dir) (transformers' fast BertTokenizer) and slow is
BertTokenizerLegacy (the pure-Python one). Each window holds input_ids, token_type_ids, word_ids,
sequence_ids and offsets converted to UTF-16 indices (what JavaScript strings use).
Output: {"classes": {name: class of the fast tokenizer}, "results": [entry per case]}.
"""
import contextlib
import json
import os
import sys

from transformers import AutoTokenizer
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
from transformers.utils import logging

logging.set_verbosity_error()


def utf16_index(text, index):
    return len(text[:index].encode("utf-16-le")) // 2


@contextlib.contextmanager
def quiet_stderr():
    """Some requests make tokenizers panic (an expected error here); keep its backtrace off the test log."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def fast_result(tok, case):
    kwargs = dict(case["kwargs"])
    texts = [case["text"], case["pair"]]
    args = [case["text"]] if case["pair"] is None else [case["text"], case["pair"]]
    try:
        with quiet_stderr():
            enc = tok(*args, return_offsets_mapping=True, **kwargs)
    except BaseException as err:  # a Rust panic arrives as PanicException, a BaseException
        return {"error": f"{type(err).__name__}: {err}"}
    overflowing = kwargs.get("return_overflowing_tokens", False)
    count = len(enc["input_ids"]) if overflowing else 1
    windows = []
    for w in range(count):
        pick = (lambda key: enc[key][w]) if overflowing else (lambda key: enc[key])
        seq_ids = enc.sequence_ids(w)
        offsets = []
        for (start, end), seq in zip(pick("offset_mapping"), seq_ids):
            text = texts[seq] if seq is not None else ""
            offsets.append([utf16_index(text, start), utf16_index(text, end)])
        windows.append({
            "input_ids": pick("input_ids"),
            "token_type_ids": pick("token_type_ids"),
            "word_ids": enc.word_ids(w),
            "sequence_ids": seq_ids,
            "offsets": offsets,
        })
    first = windows[0]["input_ids"]
    return {
        "windows": windows,
        "decoded": tok.decode(first),
        "decoded_skip": tok.decode(first, skip_special_tokens=True),
    }


def slow_result(tok, case):
    args = [case["text"]] if case["pair"] is None else [case["text"], case["pair"]]
    kwargs = {k: v for k, v in case["kwargs"].items() if k in ("max_length", "truncation", "add_special_tokens")}
    try:
        enc = tok(*args, return_token_type_ids=True, **kwargs)
    except BaseException as err:
        return {"error": f"{type(err).__name__}: {err}"}
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"]}


def main():
    request = json.load(open(sys.argv[1], encoding="utf-8"))
    fast = {name: AutoTokenizer.from_pretrained(d) for name, d in request["dirs"].items()}
    slow = {}
    out = []
    for case in request["cases"]:
        name = case["tok"]
        entry = {"fast": fast_result(fast[name], case), "slow": None}
        if case.get("slow"):
            if name not in slow:
                slow[name] = BertTokenizerLegacy.from_pretrained(request["dirs"][name])
            entry["slow"] = slow_result(slow[name], case)
        out.append(entry)
    classes = {name: type(tok).__name__ for name, tok in fast.items()}
    json.dump({"classes": classes, "results": out}, sys.stdout, ensure_ascii=True)


main()
