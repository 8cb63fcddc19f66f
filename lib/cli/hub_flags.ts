// Flags of every command that takes a model name: which revision, which cache, which token,
// and offline mode (run_glue.py's --model_revision, --cache_dir, --token).
import type { HubOptions } from '../hub/hub_settings';
import type { FlagSchema, FlagValues } from './flags';

export const HUB_FLAGS: FlagSchema = {
  model_revision: { type: 'string', aliases: ['revision'], help: 'branch, tag or commit of a Hugging Face model name (default main)' },
  cache_dir: { type: 'string', help: 'the Hugging Face cache (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)' },
  token: { type: 'string', help: 'hub token for private or gated models (default $HF_TOKEN, else the token `huggingface-cli login` saved)' },
  offline: { type: 'boolean', help: 'use the Hugging Face cache only, never the network (as HF_HUB_OFFLINE=1)' },
};

/** HubOptions from parsed flags; what is not given stays unset so the environment decides. */
export function hubOptionsFromFlags(flags: FlagValues): HubOptions {
  const text = (name: string): string | undefined => (typeof flags[name] === 'string' && flags[name] !== '' ? (flags[name] as string) : undefined);
  const revision = text('model_revision');
  const cacheDir = text('cache_dir');
  const token = text('token');
  return {
    ...(revision ? { revision } : {}),
    ...(cacheDir ? { cacheDir } : {}),
    ...(token ? { token } : {}),
    ...(flags.offline === true ? { offline: true } : {}),
  };
}
