"""transformers' pipelines and sentence-transformers on local model directories: the reference
for bertrun's pipeline() (test/integration/pipeline_*.test.ts).

Usage: python pipeline_reference_cls.py cases.json
cases.json is a list of cases, each one of
  {"task": "<transformers task>", "model": dir, "inputs": ..., "kwargs": {...}}
      -> transformers.pipeline(task, model=dir)(inputs, **kwargs)
  {"task": "sentence-transformers", "model": dir, "inputs": [texts], "kwargs": {}}
      -> SentenceTransformer(dir).encode(texts).tolist()
  {"task": "sentence-transformers", "model": dir, "inputs": [texts], "kwargs": {"normalize": bool}}
      -> the same with the directory's choice overridden (TEI's normalize): the model without its
         Normalize module, encode(texts, normalize_embeddings=normalize)
Prints one JSON list: per case {"output": ...} or {"error": "<exception class>: <message>"}.
Models are loaded once per (task, dir), on CPU, in float32.
"""
import json
import sys

import torch
import transformers

transformers.logging.set_verbosity_error()
torch.manual_seed(0)

loaded = {}


def runner(task, model):
    key = (task, model)
    if key not in loaded:
        if task == "sentence-transformers":
            from sentence_transformers import SentenceTransformer

            from sentence_transformers.base.modules.normalize import Normalize

            st = SentenceTransformer(model, device="cpu", local_files_only=True)
            bare = SentenceTransformer(modules=[m for m in st if not isinstance(m, Normalize)], device="cpu")

            def encode(inputs, normalize=None):
                if normalize is None:
                    return st.encode(inputs, convert_to_numpy=True).tolist()
                return bare.encode(inputs, convert_to_numpy=True, normalize_embeddings=normalize).tolist()

            loaded[key] = encode
        else:
            loaded[key] = transformers.pipeline(task, model=model, device="cpu")
    return loaded[key]


def jsonable(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


results = []
with torch.no_grad():
    for case in json.load(open(sys.argv[1])):
        try:
            output = runner(case["task"], case["model"])(case["inputs"], **case.get("kwargs", {}))
            results.append({"output": jsonable(output)})
        except Exception as e:  # the error is part of the reference
            results.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(results))
