// ESM entry: the CommonJS build re-exported (one module instance for both, so no dual-package
// state), named exports as Node detects them in dist/lib/index.js, plus the whole as default.
import bertrun from '../dist/lib/index.js';

export * from '../dist/lib/index.js';
export default bertrun;
