// The pipeline task a model directory implies, for `bertrun serve` without --task: config.json's
// architectures[0] names the head it was saved with (BertForSequenceClassification, ...); a bare
// encoder (BertModel, or no architectures) serves sentence embeddings when it is a
// sentence-transformers model (modules.json), else per-token features.
import * as fs from 'fs';
import * as path from 'path';

export interface DetectedTask {
  /** A pipeline task name (see PIPELINE_TASKS). */
  task: string;
  /** Why: which file and field said so, for the server's start-up log. */
  reason: string;
}

const BY_HEAD: ReadonlyArray<[RegExp, string]> = [
  [/ForSequenceClassification$/, 'text-classification'],
  [/ForTokenClassification$/, 'token-classification'],
  [/ForQuestionAnswering$/, 'question-answering'],
  // BertForPreTraining and BertLMHeadModel carry the same cls.predictions head as BertForMaskedLM.
  [/(ForMaskedLM|ForPreTraining|LMHeadModel)$/, 'fill-mask'],
];

/** The task to serve `modelDir` with; throws naming --task when config.json does not tell. */
export function detectTask(modelDir: string): DetectedTask {
  const configPath = path.join(modelDir, 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code ? `cannot read it (${code})` : `not valid JSON: ${(e as Error).message}`;
    throw new Error(`${configPath}: ${why}. Fix: pass the directory of a saved model (config.json, weights, tokenizer files), or name the task with --task.`, {
      cause: e,
    });
  }
  const architectures = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).architectures : undefined;
  const first = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : undefined;
  const head = first === undefined ? undefined : BY_HEAD.find(([pattern]) => pattern.test(first));
  if (head) return { task: head[1], reason: `config.json architectures[0] is ${first}` };
  if (first !== undefined && !/Model$/.test(first)) {
    throw new Error(`${configPath}: architectures[0] is ${first}, which no pipeline task serves. Fix: name the task with --task.`);
  }
  const encoder = first === undefined ? 'config.json names no architectures' : `config.json architectures[0] is ${first}`;
  if (fs.existsSync(path.join(modelDir, 'modules.json'))) {
    return { task: 'sentence-embeddings', reason: `${encoder} and modules.json (sentence-transformers) is present` };
  }
  return { task: 'feature-extraction', reason: `${encoder} and there is no modules.json` };
}
