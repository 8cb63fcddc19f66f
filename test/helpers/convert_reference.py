"""PyTorch model directories for `bertrun convert`, and Python's verdict on what it wrote.

Usage:
  python convert_reference.py make ROOT
    Writes ROOT/single (pytorch_model.bin) and ROOT/sharded (pytorch_model.bin.index.json and >= 3
    shards) of one tiny random BertForMaskedLM, both with config.json, tokenizer files (one a
    symlink into ROOT/blobs, as in a Hub cache snapshot), sentence-transformers files and a
    .gitattributes. transformers 5 saves safetensors only, so the .bin files are written the way
    transformers 4.x did with safe_serialization=False: torch.save of the state dict (tied tensors
    sharing storage) or of each huggingface_hub shard, with its index. Prints {"input_ids", "logits",
    "shards"}: the model's MLM logits on a fixed input.
  python convert_reference.py check ROOT OUT...
    For each OUT/model.safetensors, prints what Python sees against ROOT/single/pytorch_model.bin
    (torch.load) and the model's logits: names, unequal tensors, metadata, transformers' loading
    info and the largest logit difference of AutoModelForMaskedLM.from_pretrained(OUT).
"""
import json
import os
import sys

import torch
from huggingface_hub import split_torch_state_dict_into_shards
from safetensors import safe_open
from safetensors.torch import load_file
from transformers import AutoModelForMaskedLM, BertConfig, BertForMaskedLM

INPUT_IDS = [[2, 17, 45, 98, 5, 63, 3]]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def model_files(model, directory, root):
    model.config.save_pretrained(directory)
    write(os.path.join(directory, "vocab.txt"), "".join(f"[unused{i}]\n" for i in range(99)))
    blob = os.path.join(root, "blobs", "tokenizer_config.json")
    write(blob, json.dumps({"do_lower_case": True, "model_max_length": 64}))
    os.symlink(blob, os.path.join(directory, "tokenizer_config.json"))
    write(os.path.join(directory, "modules.json"), json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]))
    write(os.path.join(directory, "1_Pooling", "config.json"), json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True}))
    write(os.path.join(directory, ".gitattributes"), "*.bin filter=lfs\n")


def make(root):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                        max_position_embeddings=64, hidden_dropout_prob=0, attention_probs_dropout_prob=0)
    model = BertForMaskedLM(config).eval()
    state = model.state_dict()
    assert state["cls.predictions.decoder.weight"].data_ptr() == state["bert.embeddings.word_embeddings.weight"].data_ptr()

    single = os.path.join(root, "single")
    model_files(model, single, root)
    torch.save(state, os.path.join(single, "pytorch_model.bin"))

    sharded = os.path.join(root, "sharded")
    model_files(model, sharded, root)
    split = split_torch_state_dict_into_shards(state, filename_pattern="pytorch_model{suffix}.bin", max_shard_size=30_000)
    for filename, names in split.filename_to_tensors.items():
        torch.save({name: state[name] for name in names}, os.path.join(sharded, filename))
    index = {"metadata": {"total_size": split.metadata["total_size"]}, "weight_map": split.tensor_to_filename}
    write(os.path.join(sharded, "pytorch_model.bin.index.json"), json.dumps(index, indent=2, sort_keys=True) + "\n")

    with torch.no_grad():
        logits = model(torch.tensor(INPUT_IDS)).logits
    torch.save(logits, os.path.join(root, "logits.pt"))
    print(json.dumps({"input_ids": INPUT_IDS, "logits": logits.flatten().tolist(), "shards": len(split.filename_to_tensors)}))


def check(root, outs):
    original = torch.load(os.path.join(root, "single", "pytorch_model.bin"), weights_only=True)
    reference = torch.load(os.path.join(root, "logits.pt"), weights_only=True)
    report = {}
    for out in outs:
        file = os.path.join(out, "model.safetensors")
        tensors = load_file(file)
        with safe_open(file, framework="pt") as f:
            metadata = f.metadata()
        model, info = AutoModelForMaskedLM.from_pretrained(out, output_loading_info=True)
        with torch.no_grad():
            logits = model.eval()(torch.tensor(INPUT_IDS)).logits
        report[out] = {
            "names": list(tensors.keys()),
            "original_names": list(original.keys()),
            "unequal": [k for k in original if k in tensors and not (tensors[k].dtype == original[k].dtype and torch.equal(tensors[k], original[k]))],
            "metadata": metadata,
            "loading_info": {k: sorted(map(str, v)) for k, v in info.items()},
            "max_logit_diff": (logits - reference).abs().max().item(),
            "decoder_tied": model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr(),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3:])
