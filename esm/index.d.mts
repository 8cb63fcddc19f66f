import * as bertrun from '../dist/lib/index.js';

export * from '../dist/lib/index.js';
export default bertrun;
