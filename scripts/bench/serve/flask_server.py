"""The seed's baseline server for scripts/bench-serve.js: a Flask app around transformers' pipeline.

    python flask_server.py --model-dir DIR --port P [--threads N]

As the seed's ModelServer/app.py: the model is loaded once at start, `POST /v1/model_prediction/`
takes {"sentence1", "sentence2"} and answers the best label and its softmax score. Differences,
all in the baseline's favour or needed for the comparison:
  - transformers.pipeline("text-classification") instead of hand-written encode_plus with
    pad-to-max_length 40 (the pipeline pads nothing and truncates at the model's limit, as the
    other servers do);
  - the answer is JSON (`["neutral", 0.48]`), where the seed returned Python's str() of a list;
  - Werkzeug's per-request log lines are off (writing them costs CPU that the others do not spend);
  - connections are kept alive, as the other servers keep them. Werkzeug's server sends
    `Connection: close` on every answer and then reads whatever else the client sent until it
    closes (to discard an oversized body). autocannon, like any keep-alive client, writes its next
    request on the connection as soon as an answer arrives: Werkzeug swallows it and blocks, and
    every request after the first on a connection waits for autocannon's timeout. Two small
    patches below (keep-alive; no draining, since every body here is read whole by get_json)
    make Werkzeug answer them; they spare the baseline a TCP connection and a new thread per
    request, so they can only make Flask look better.
It runs Flask's own server, threaded (app.run(threaded=True)): one thread per connection, each
running its own forward; torch's intra-op threads = the machine's cores.
"""

import argparse
import logging
import os
import selectors
import sys

import torch
from flask import Flask, jsonify, request
import werkzeug.serving
from werkzeug.serving import WSGIRequestHandler
from transformers import pipeline


class KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's handler without its forced `Connection: close` (see above), and with Nagle's
    algorithm off as Node's http servers have it: Werkzeug writes the headers and the body
    separately, and on a kept-alive connection Nagle holds the body back until the client's
    delayed ACK (~40 ms per answer)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def send_header(self, keyword, value):
        if keyword.lower() == "connection" and value.lower() == "close":
            return
        super().send_header(keyword, value)


class _NoDrainSelectors:
    """Stands in for the `selectors` module inside werkzeug.serving only, where it is used for
    nothing but the drain after each answer (see above): nothing is ever ready to drain."""

    EVENT_READ = selectors.EVENT_READ

    class DefaultSelector:
        def register(self, *args):
            pass

        def select(self, timeout=None):
            return []

        def close(self):
            pass


werkzeug.serving.selectors = _NoDrainSelectors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    classifier = pipeline("text-classification", model=args.model_dir, device="cpu")
    app = Flask(__name__)

    @app.route("/v1/model_prediction/", methods=["POST"])
    def model_prediction():
        body = request.get_json()
        result = classifier({"text": body["sentence1"], "text_pair": body["sentence2"]})
        best = result[0] if isinstance(result, list) else result
        return jsonify([best["label"], best["score"]])

    @app.route("/health", methods=["GET"])
    def health():
        return jsonify({"status": "ok"})

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(f"listening on http://127.0.0.1:{args.port}", flush=True)
    app.run(host="127.0.0.1", port=args.port, threaded=True, request_handler=KeepAliveHandler)


if __name__ == "__main__":
    sys.exit(main())
