// Telling a hub model name ("bert-base-uncased", "org/name") from a local path, with the rules the
// hub itself enforces on repo ids.

const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]{1,96}$/;
const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** True for "name" and "org/name" that the hub accepts as a model repo id. */
export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes('--') && !value.includes('..') && !value.endsWith('.git') && !/^[.-]|[.-]$/.test(value);
}

/** Clearly a file-system path, never a hub name: absolute, ./ ../ ~ prefixes, backslashes or several slashes. */
export function looksLikePath(value: string): boolean {
  return /^(?:\.{1,2}(?:[/\\]|$)|[/\\~]|[A-Za-z]:[/\\])/.test(value) || value.includes('\\') || value.split('/').length > 2;
}

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}
