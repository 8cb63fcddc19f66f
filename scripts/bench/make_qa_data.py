"""SQuAD-format question answering data over real English prose, for scripts/compare-qa-vs-hf.js
where SQuAD itself cannot be downloaded: contexts are paragraphs of the Python reference manual
that ships with CPython (pydoc_data.topics, up to ~320 words per context), questions are cloze questions (a sentence of the
context with a phrase replaced by "what"), the phrase the answer. With --v2 a third of the
questions are asked of another topic's context: unanswerable (is_impossible), as in SQuAD v2.0.

  python make_qa_data.py OUT_DIR [--train 800] [--dev 200] [--v2] [--impossible-share 0.33] [--max-words 320] [--seed 0]

Writes OUT_DIR/train.json and OUT_DIR/dev.json. Deterministic for a seed.
"""
import argparse
import json
import os
import random
import re

from pydoc_data.topics import topics

STOP = set("""a an the of to in on for and or but is are was were be been being it its this that these those with as by at
from which who whom whose what when where why how not no can may must should would could will shall do does did has have
had if then else than so such also only any all each every some more most other into over under about between after before
there their they them he she his her we you your our one two""".split())


def paragraphs(max_words):
    """Prose (no code: indented lines dropped) of one topic, consecutive paragraphs joined up to
    max_words words (320: some contexts need several windows at max_seq_length 256, as SQuAD's do)."""
    out = []
    for name in sorted(topics):
        chunk = []
        for block in re.split(r"\n\s*\n", topics[name]):
            lines = [line.strip() for line in block.split("\n") if line and not line.startswith(" ")]
            text = re.sub(r"\s+", " ", " ".join(lines)).strip()
            if len(text.split()) < 15 or text.count("(") >= 6:
                continue
            if chunk and len(" ".join(chunk + [text]).split()) > max_words:
                out.append((name, " ".join(chunk)))
                chunk = []
            chunk.append(text)
        if chunk and len(" ".join(chunk).split()) >= 40:
            out.append((name, " ".join(chunk)))
    return out


def question_for(context, rng):
    """(question, answer, answer_start) from a random sentence of the context, or None."""
    sentences = [m for m in re.finditer(r"[^.!?]+[.!?]", context) if 8 <= len(m.group().split()) <= 25]
    if not sentences:
        return None
    sentence = rng.choice(sentences)
    words = list(re.finditer(r"[A-Za-z][A-Za-z_'-]{3,}", sentence.group()))
    candidates = [w for w in words if w.group().lower() not in STOP]
    if len(candidates) < 3:
        return None
    first = rng.randrange(len(candidates))
    span_words = [candidates[first]]
    # Extend to a phrase of up to 3 content words that follow directly.
    for nxt in candidates[first + 1: first + 3]:
        gap = sentence.group()[span_words[-1].end(): nxt.start()]
        if gap.strip() or rng.random() < 0.5:
            break
        span_words.append(nxt)
    start, end = span_words[0].start(), span_words[-1].end()
    answer = sentence.group()[start:end]
    text = sentence.group().strip()
    question = (sentence.group()[:start] + "what" + sentence.group()[end:]).strip().rstrip(".!?") + "?"
    # Short plain questions, as SQuAD's: run_qa's tokenizer refuses a window whose question leaves
    # less context room than doc_stride, and code-heavy sentences split into many word pieces.
    if len(question.split()) < 5 or text == question or len(question) > 160 or len(re.findall(r"[^\w\s,.?'-]", question)) > 4:
        return None
    return question, answer, sentence.start() + start


def build(items, count, v2, impossible_share, rng, prefix):
    data, made = [], 0
    by_topic = {}
    for name, text in items:
        by_topic.setdefault(name, []).append(text)
    while made < count:
        name, context = rng.choice(items)
        qa = question_for(context, rng)
        if qa is None:
            continue
        question, answer, answer_start = qa
        assert context[answer_start: answer_start + len(answer)] == answer
        entry = {"id": f"{prefix}{made}", "question": question, "answers": [{"text": answer, "answer_start": answer_start}]}
        if v2 and rng.random() < impossible_share:
            # Ask it of another topic's paragraph that does not contain the answer.
            other_name, other = rng.choice(items)
            if other_name == name or answer.lower() in other.lower():
                continue
            context = other
            entry = {"id": f"{prefix}{made}", "question": question, "answers": [], "is_impossible": True}
        elif v2:
            entry["is_impossible"] = False
        data.append({"title": name, "paragraphs": [{"context": context, "qas": [entry]}]})
        made += 1
    return {"version": "v2.0" if v2 else "1.1", "data": data}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--train", type=int, default=800)
    parser.add_argument("--dev", type=int, default=200)
    parser.add_argument("--v2", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-words", type=int, default=320, help="longest context in words")
    parser.add_argument("--impossible-share", type=float, default=1 / 3, help="with --v2: share of unanswerable questions")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    items = paragraphs(args.max_words)
    rng.shuffle(items)
    # Train and dev contexts come from disjoint halves of the paragraphs.
    cut = len(items) * 4 // 5
    os.makedirs(args.out, exist_ok=True)
    for name, part, count in [("train.json", items[:cut], args.train), ("dev.json", items[cut:], args.dev)]:
        json.dump(build(part, count, args.v2, args.impossible_share, rng, name[0]), open(os.path.join(args.out, name), "w"), indent=1)
    print(f"{args.out}: {args.train} train / {args.dev} dev questions over {len(items)} paragraphs of the Python reference manual")


if __name__ == "__main__":
    main()
