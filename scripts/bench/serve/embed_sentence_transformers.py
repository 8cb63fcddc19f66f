"""Sentence-embeddings throughput of sentence-transformers, for scripts/bench-serve.js (child process):

    python embed_sentence_transformers.py MODEL_DIR INPUT_JSON     (INPUT_JSON: {texts, repeats, keep})

SentenceTransformer(MODEL_DIR).encode(texts) with its defaults (batch_size 32, sorted by length;
all-MiniLM-L6-v2's modules mean-pool and normalize), torch threads = cores, one untimed call first.
Prints one JSON line: {ok, seconds: [per repeat], vectors: [first `keep` embeddings]}.
"""

import json
import os
import sys
import time

import torch
from sentence_transformers import SentenceTransformer


def main():
    model_dir, input_file = sys.argv[1:3]
    with open(input_file) as f:
        spec = json.load(f)
    texts, repeats, keep = spec["texts"], spec["repeats"], spec["keep"]
    torch.set_num_threads(os.cpu_count())
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(texts)  # warm-up
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = model.encode(texts)
        seconds.append(time.perf_counter() - t0)
    print(json.dumps({"ok": True, "seconds": seconds, "vectors": out[:keep].tolist()}))


if __name__ == "__main__":
    main()
