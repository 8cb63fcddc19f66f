// Sentence-embeddings throughput of bertrun's pipeline, for scripts/bench-serve.js (a child
// process, so each library runs alone with the machine's cores):
//   node embed_bertrun.js MODEL_DIR INPUT_JSON     (INPUT_JSON: {texts, repeats, keep})
// One call with all the texts (the engine batches them by its token budget); one untimed call
// first. Prints one JSON line: {ok, seconds: [per repeat], vectors: [first `keep` embeddings]}
// or {ok: false, reason} when this build of bertrun has no sentence-embeddings pipeline.
'use strict';
const fs = require('fs');
const path = require('path');

const [modelDir, inputFile] = process.argv.slice(2);
const { texts, repeats, keep } = JSON.parse(fs.readFileSync(inputFile, 'utf8'));

// The embeddings come back as number[][] (or Float32Array[], or {embedding} objects): read either.
const asVector = (v) => Array.from(v && v.embedding ? v.embedding : v);

(async () => {
  const { pipeline, PIPELINE_TASKS } = require(path.resolve(__dirname, '../../../dist/lib/serving/pipeline.js'));
  if (!PIPELINE_TASKS.includes('sentence-embeddings')) {
    console.log(JSON.stringify({ ok: false, reason: `pipeline('sentence-embeddings') does not exist in this build (tasks: ${PIPELINE_TASKS.join(', ')})` }));
    return;
  }
  const embed = await pipeline('sentence-embeddings', modelDir, { warn: () => {} });
  await embed(texts); // warm-up
  const seconds = [];
  let out;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    out = await embed(texts);
    seconds.push((performance.now() - t0) / 1000);
  }
  console.log(JSON.stringify({ ok: true, seconds, vectors: out.slice(0, keep).map(asVector) }));
  await embed.dispose();
})().catch((err) => {
  console.log(JSON.stringify({ ok: false, reason: String(err && err.message ? err.message : err) }));
});
