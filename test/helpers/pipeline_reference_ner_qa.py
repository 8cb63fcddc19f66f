"""transformers on local model directories: the reference for bertrun's token-classification and
question-answering pipelines (test/integration/pipeline_token_classification.test.ts,
pipeline_question_answering.test.ts).

Usage: python pipeline_reference_ner_qa.py cases.json
cases.json is a list of cases, each one of
  {"task": "token-classification", "model": dir, "inputs": text or [texts], "kwargs": {...}}
      -> transformers.pipeline("token-classification", model=dir)(inputs, **kwargs)
  {"task": "question-answering", "model": dir, "inputs": {"question", "context"} or a list, "kwargs": {...}}
      -> question_answering(...) below, per input (a list of inputs gives a list of results)
  {"task": "convert-tokens-to-string", "model": dir, "inputs": [[tokens], ...]}
      -> [AutoTokenizer.from_pretrained(dir).convert_tokens_to_string(tokens), ...]
Prints one JSON list: per case {"output": ...} or {"error": "<exception class>: <message>"}.
start/end are converted from Python's code point indices to UTF-16 indices (JavaScript's).

transformers 5 removed the question-answering pipeline. question_answering() is the last
QuestionAnsweringPipeline (transformers 4.57, fast-tokenizer path) line by line: its preprocess
(the tokenizer call, p_mask), forward and postprocess (word alignment, merging of equal answers,
"no answer"), run on live transformers: AutoTokenizer, AutoModelForQuestionAnswering and the
span scoring select_starts_ends (which transformers 5 keeps, for document question answering).
"""
import json
import os
import sys

# tokenizers panics (refused strides) print a Rust backtrace to stderr without this.
os.environ["RUST_BACKTRACE"] = "0"

import numpy as np
import torch
import transformers
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
from transformers.pipelines.document_question_answering import select_starts_ends

transformers.logging.set_verbosity_error()

loaded = {}


def utf16(text, index):
    return len(text[:index].encode("utf-16-le")) // 2


def to_utf16(entity, text):
    out = {k: (v.item() if hasattr(v, "item") else v) for k, v in entity.items()}
    if out.get("start") is not None:
        out["start"] = utf16(text, out["start"])
        out["end"] = utf16(text, out["end"])
    return out


def token_classification(model, inputs, kwargs):
    key = ("token-classification", model)
    if key not in loaded:
        loaded[key] = transformers.pipeline("token-classification", model=model, device="cpu")
    output = loaded[key](inputs, **kwargs)
    if isinstance(inputs, str):
        return [to_utf16(e, inputs) for e in output]
    return [[to_utf16(e, text) for e in entities] for text, entities in zip(inputs, output)]


def qa_model(model):
    key = ("question-answering", model)
    if key not in loaded:
        loaded[key] = (AutoTokenizer.from_pretrained(model), AutoModelForQuestionAnswering.from_pretrained(model).eval())
    return loaded[key]


def question_answering(
    model_dir,
    question,
    context,
    top_k=1,
    doc_stride=None,
    max_answer_len=15,
    max_seq_len=None,
    max_question_len=64,  # only the slow-tokenizer path used it
    handle_impossible_answer=False,
    align_to_words=True,
):
    tokenizer, model = qa_model(model_dir)
    # _sanitize_parameters
    if top_k < 1:
        raise ValueError(f"top_k parameter should be >= 1 (got {top_k})")
    if max_answer_len < 1:
        raise ValueError(f"max_answer_len parameter should be >= 1 (got {max_answer_len}")
    # preprocess
    if max_seq_len is None:
        max_seq_len = min(tokenizer.model_max_length, 384)
    if doc_stride is None:
        doc_stride = min(max_seq_len // 2, 128)
    if doc_stride > max_seq_len:
        raise ValueError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len})")
    question_first = tokenizer.padding_side == "right"
    encoded_inputs = tokenizer(
        text=question if question_first else context,
        text_pair=context if question_first else question,
        padding="do_not_pad",
        truncation="only_second" if question_first else "only_first",
        max_length=max_seq_len,
        stride=doc_stride,
        return_token_type_ids=True,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
    )
    num_spans = len(encoded_inputs["input_ids"])
    p_mask = [[tok != 1 if question_first else 0 for tok in encoded_inputs.sequence_ids(span_id)] for span_id in range(num_spans)]
    features = []
    for span_idx in range(num_spans):
        input_ids = encoded_inputs["input_ids"][span_idx]
        if tokenizer.cls_token_id is not None:
            for cls_index in np.nonzero(np.array(input_ids) == tokenizer.cls_token_id)[0]:
                p_mask[span_idx][cls_index] = 0
        features.append(
            {
                "input_ids": torch.tensor(input_ids).unsqueeze(0),
                "attention_mask": torch.tensor(encoded_inputs["attention_mask"][span_idx]).unsqueeze(0),
                "token_type_ids": torch.tensor(encoded_inputs["token_type_ids"][span_idx]).unsqueeze(0),
                "p_mask": torch.tensor(p_mask[span_idx]).unsqueeze(0),
                "encoding": encoded_inputs[span_idx],
            }
        )
    # _forward + postprocess
    min_null_score = 1000000
    answers = []
    for feature in features:
        with torch.no_grad():
            output = model(input_ids=feature["input_ids"], attention_mask=feature["attention_mask"], token_type_ids=feature["token_type_ids"])
        pre_topk = top_k * 2 + 10 if align_to_words else top_k
        starts, ends, scores, min_null_score = select_starts_ends(
            output["start_logits"].numpy(),
            output["end_logits"].numpy(),
            feature["p_mask"],
            feature["attention_mask"].numpy(),
            min_null_score,
            pre_topk,
            handle_impossible_answer,
            max_answer_len,
        )
        enc = feature["encoding"]
        sequence_index = 1 if question_first else 0
        for s, e, score in zip(starts, ends, scores):
            start_index, end_index = get_indices(enc, s, e, sequence_index, align_to_words)
            target_answer = context[start_index:end_index]
            answer = get_answer(answers, target_answer)
            if answer:
                answer["score"] += score.item()
            else:
                answers.append({"score": score.item(), "start": start_index, "end": end_index, "answer": context[start_index:end_index]})
    if handle_impossible_answer:
        answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
    answers = sorted(answers, key=lambda x: x["score"], reverse=True)[:top_k]
    answers = [to_utf16(a, context) for a in answers]
    if len(answers) == 1:
        return answers[0]
    return answers


def get_answer(answers, target):
    for answer in answers:
        if answer["answer"].lower() == target.lower():
            return answer
    return None


def get_indices(enc, s, e, sequence_index, align_to_words):
    if align_to_words:
        try:
            start_word = enc.token_to_word(s)
            end_word = enc.token_to_word(e)
            start_index = enc.word_to_chars(start_word, sequence_index=sequence_index)[0]
            end_index = enc.word_to_chars(end_word, sequence_index=sequence_index)[1]
        except Exception:
            start_index = enc.offsets[s][0]
            end_index = enc.offsets[e][1]
    else:
        start_index = enc.offsets[s][0]
        end_index = enc.offsets[e][1]
    return start_index, end_index


def run(case):
    if case["task"] == "convert-tokens-to-string":
        tokenizer = AutoTokenizer.from_pretrained(case["model"])
        return [tokenizer.convert_tokens_to_string(tokens) for tokens in case["inputs"]]
    if case["task"] == "token-classification":
        return token_classification(case["model"], case["inputs"], case.get("kwargs", {}))
    inputs = case["inputs"]
    kwargs = case.get("kwargs", {})
    if isinstance(inputs, list):
        return [question_answering(case["model"], i["question"], i["context"], **kwargs) for i in inputs]
    return question_answering(case["model"], inputs["question"], inputs["context"], **kwargs)


results = []
for case in json.load(open(sys.argv[1])):
    try:
        results.append({"output": run(case)})
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # the error is part of the reference (tokenizers panics are BaseExceptions)
        results.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(results))
