// Sentence-embeddings throughput of transformers.js, for scripts/bench-serve.js (child process):
//   node embed_transformersjs.js ONNX_DIR INPUT_JSON [BATCH]     (INPUT_JSON: {texts, repeats, keep})
// The feature-extraction pipeline with {pooling: 'mean', normalize: true} (sentence-transformers'
// all-MiniLM-L6-v2 recipe, as its model card shows for transformers.js), one untimed pass first.
// Without BATCH: one call with all the texts, as the model card does (transformers.js pads them
// all to the longest). With BATCH: texts sorted by length and embedded BATCH at a time, the way
// sentence-transformers' encode batches (less padding), vectors put back in input order.
// Prints one JSON line: {ok, seconds: [per repeat], vectors: [first `keep` embeddings]}.
'use strict';
const fs = require('fs');
const { pipeline, env } = require('@huggingface/transformers');

const [modelDir, inputFile, batchArg] = process.argv.slice(2);
const batch = batchArg ? Number(batchArg) : undefined;
const { texts, repeats, keep } = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
env.allowRemoteModels = false;
env.allowLocalModels = true;

(async () => {
  const extractor = await pipeline('feature-extraction', modelDir, { dtype: 'fp32', device: 'cpu', local_files_only: true });
  const options = { pooling: 'mean', normalize: true };
  const embedAll = async () => {
    if (!batch) return (await extractor(texts, options)).tolist();
    // Longest first, as sentence-transformers orders them (by character length).
    const order = texts.map((t, i) => i).sort((a, b) => texts[b].length - texts[a].length);
    const vectors = new Array(texts.length);
    for (let i = 0; i < order.length; i += batch) {
      const ids = order.slice(i, i + batch);
      const rows = (
        await extractor(
          ids.map((j) => texts[j]),
          options,
        )
      ).tolist();
      ids.forEach((j, k) => (vectors[j] = rows[k]));
    }
    return vectors;
  };
  await embedAll(); // warm-up
  const seconds = [];
  let out;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    out = await embedAll();
    seconds.push((performance.now() - t0) / 1000);
  }
  console.log(JSON.stringify({ ok: true, seconds, vectors: out.slice(0, keep) }));
})().catch((err) => {
  console.log(JSON.stringify({ ok: false, reason: String(err && err.message ? err.message : err) }));
});
