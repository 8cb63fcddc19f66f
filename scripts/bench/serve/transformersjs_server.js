// The transformers.js server of scripts/bench-serve.js: @huggingface/transformers on
// onnxruntime-node in a plain Node http server, the same route and answer as `bertrun serve`:
//   node transformersjs_server.js --model-dir ONNX_DIR --port P
// ONNX_DIR is the export of the bench's classifier (config.json, tokenizer.json, onnx/model.onnx),
// loaded from the local path with remote models disabled.
// transformers.js' text-classification pipeline takes no sentence pairs, so each request runs
// what that pipeline runs, with the pair: tokenizer(text, {text_pair, truncation}) -> model ->
// softmax -> best label. One request, one forward: transformers.js has no batching across calls;
// onnxruntime-node runs concurrent requests' forwards on its own threads.
'use strict';
const http = require('http');
const { AutoTokenizer, AutoModelForSequenceClassification, env } = require('@huggingface/transformers');

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`--${name} is required`);
  return argv[i + 1];
};
const modelDir = opt('model-dir');
const port = Number(opt('port'));

env.allowRemoteModels = false;
env.allowLocalModels = true;

function softmax(values) {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

(async () => {
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const model = await AutoModelForSequenceClassification.from_pretrained(modelDir, { dtype: 'fp32', device: 'cpu', local_files_only: true });
  const id2label = model.config.id2label;

  async function predict(sentence1, sentence2) {
    const inputs = tokenizer(sentence1, { text_pair: sentence2, truncation: true });
    const { logits } = await model(inputs);
    const scores = softmax(Array.from(logits.data));
    const best = scores.indexOf(Math.max(...scores));
    return [id2label[best] ?? `LABEL_${best}`, scores[best]];
  }

  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'ok' });
      if (req.method === 'POST' && req.url === '/v1/model_prediction/') {
        const body = JSON.parse(await readBody(req));
        if (typeof body.sentence1 !== 'string' || typeof body.sentence2 !== 'string')
          return send(res, 400, { error: 'sentence1 and sentence2 must be strings' });
        return send(res, 200, await predict(body.sentence1, body.sentence2));
      }
      send(res, 404, { error: 'not found' });
    } catch (err) {
      send(res, 500, { error: String(err && err.message ? err.message : err) });
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
