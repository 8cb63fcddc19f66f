"""A question-answering model directory for scripts/compare-qa-training-steps.js: the encoder of
MODEL_DIR with a freshly initialised qa_outputs head (transformers' own initialisation, seeded;
a MODEL_DIR with a config.json and vocabulary but no weights gets a whole random model), saved
with its tokenizer files, so that bertrun and transformers start from the same weights.
--no-dropout sets hidden_dropout_prob and attention_probs_dropout_prob to 0: with no random
masks, two implementations of the same training step must give the same losses.

  python make_qa_model.py MODEL_DIR OUT_DIR [--seed 0] [--no-dropout]
"""
import argparse
import os

import torch
from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer
from transformers.utils import logging as hf_logging

hf_logging.set_verbosity_error()

parser = argparse.ArgumentParser()
parser.add_argument("model_dir")
parser.add_argument("out_dir")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--no-dropout", action="store_true")
args = parser.parse_args()

config = AutoConfig.from_pretrained(args.model_dir)
if args.no_dropout:
    config.hidden_dropout_prob = 0.0
    config.attention_probs_dropout_prob = 0.0
torch.manual_seed(args.seed)
weights = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json")
if any(os.path.exists(os.path.join(args.model_dir, name)) for name in weights):
    model = AutoModelForQuestionAnswering.from_pretrained(args.model_dir, config=config)
else:
    model = AutoModelForQuestionAnswering.from_config(config)
model.save_pretrained(args.out_dir)
AutoTokenizer.from_pretrained(args.model_dir).save_pretrained(args.out_dir)
print(args.out_dir)
