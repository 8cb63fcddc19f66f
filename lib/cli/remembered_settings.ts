// The data settings a fine-tuned model directory remembers, so `bertrun eval | predict` need only
// --model_name_or_path and the data file: config.json's `task_specific_params.bertrun`
// (Hugging Face's key for task-specific settings; transformers keeps it as it is).
import * as fs from 'fs';
import * as path from 'path';
import { BERT_DEFAULTS } from '../config/bert_config';

/** The key under config.json's task_specific_params. */
export const SETTINGS_KEY = 'bertrun';

/** Where the settings live, for messages. */
export const settingsLocation = (modelDir: string): string => `${path.join(modelDir, 'config.json')} (task_specific_params.${SETTINGS_KEY})`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** config.json of a model directory as a plain object, or undefined when it is missing or not a JSON object. */
function readConfigJson(modelDir: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined; // loading the model reports a missing or broken config.json with its own error
  }
}

/** The settings remembered in modelDir (flag names to values, `task` among them), or undefined. */
export function readRememberedSettings(modelDir: string): Record<string, unknown> | undefined {
  const params = readConfigJson(modelDir)?.task_specific_params;
  const settings = isObject(params) ? params[SETTINGS_KEY] : undefined;
  return isObject(settings) ? settings : undefined;
}

/** The task a model directory was fine-tuned for by bertrun, or undefined. */
export function rememberedTask(modelDir: string): string | undefined {
  const task = readRememberedSettings(modelDir)?.task;
  return typeof task === 'string' ? task : undefined;
}

/**
 * The config.json override that records `settings` (undefined values left out) with the model
 * trained from modelDir; other entries of its task_specific_params are kept.
 */
export function rememberSettings(modelDir: string, settings: Record<string, unknown>): { task_specific_params: Record<string, unknown> } {
  const params = readConfigJson(modelDir)?.task_specific_params;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  return { task_specific_params: { ...(isObject(params) ? params : {}), [SETTINGS_KEY]: defined } };
}

/** max_position_embeddings of modelDir's config.json (the BERT default when absent or unreadable). */
export function maxPositionEmbeddings(modelDir: string): number {
  const value = readConfigJson(modelDir)?.max_position_embeddings;
  return typeof value === 'number' ? value : BERT_DEFAULTS.max_position_embeddings;
}
