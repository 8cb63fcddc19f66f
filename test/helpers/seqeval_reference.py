"""Runs the real seqeval on the cases a live parity test asks for.

Usage: python seqeval_reference.py cases.json
cases.json: {"cases": [{"y_true": [[tag, ...], ...], "y_pred": ..., "suffix": bool,
                        "zero_division": "warn" | 0 | 1, "scheme": "IOB2" | ... | null}]}
Prints {"cases": [{"accuracy": outcome, "modes": {"default": calls, "strict": calls}}]} where
calls maps a call name to an outcome: {"value": ...} or {"error": "ValueError: ..."}, each with
"warnings": [[category, message], ...] (distinct, in order of first appearance). NaN is "NaN".
"""
import json
import math
import sys
import warnings

import seqeval.scheme
from seqeval.metrics import (accuracy_score, classification_report, f1_score, precision_score,
                             recall_score)
from seqeval.metrics.sequence_labeling import get_entities


def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if hasattr(x, "item"):  # numpy scalar
        x = x.item()
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    return x


def outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = {"value": plain(fn())}
        except Exception as e:  # the test compares the exception class and text
            result = {"error": f"{type(e).__name__}: {e}"}
    seen = []
    for w in caught:
        pair = [w.category.__name__, str(w.message)]
        if pair not in seen:
            seen.append(pair)
    result["warnings"] = seen
    return result


def report_rows(report):
    # A list keeps Python's row order through JSON into JavaScript.
    return [[name, row["precision"], row["recall"], row["f1-score"], row["support"]]
            for name, row in report.items()]


def strict_entities(y, scheme, suffix):
    found = seqeval.scheme.Entities(y, scheme, suffix=suffix).entities
    return [[e.sent_id, e.tag, e.start, e.end] for sentence in found for e in sentence]


def mode_calls(case, strict):
    y_true, y_pred = case["y_true"], case["y_pred"]
    kw = {"suffix": case["suffix"], "zero_division": case["zero_division"]}
    if strict:
        scheme = getattr(seqeval.scheme, case["scheme"])
        kw.update(mode="strict", scheme=scheme)
        entities = lambda y: strict_entities(y, scheme, case["suffix"])
    else:
        entities = lambda y: [list(e) for e in get_entities(y, suffix=case["suffix"])]
    calls = {
        "report": lambda: report_rows(classification_report(y_true, y_pred, output_dict=True, **kw)),
        "report_text": lambda: classification_report(y_true, y_pred, **kw),
        "entities_true": lambda: entities(y_true),
        "entities_pred": lambda: entities(y_pred),
    }
    for average in ("micro", "macro", "weighted"):
        for name, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
            calls[f"{name}_{average}"] = (
                lambda fn=fn, average=average: fn(y_true, y_pred, average=average, **kw))
    return {name: outcome(call) for name, call in calls.items()}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    out = []
    for case in cases:
        modes = {"default": mode_calls(case, strict=False)}
        if case["scheme"] is not None:
            modes["strict"] = mode_calls(case, strict=True)
        out.append({"accuracy": outcome(lambda: accuracy_score(case["y_true"], case["y_pred"])),
                    "modes": modes})
    json.dump({"cases": out}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
