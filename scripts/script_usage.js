// `--help` / `-h` for the scripts: prints the script's header comment (its description and usage
// lines) and exits, instead of running a benchmark for minutes.
'use strict';
const fs = require('fs');

function exitWithUsageIfAsked(file, argv = process.argv.slice(2)) {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const start = lines[0].startsWith('#!') ? 1 : 0;
  const end = lines.findIndex((l, i) => i >= start && !l.startsWith('//'));
  console.log(
    lines
      .slice(start, end)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}

module.exports = { exitWithUsageIfAsked };
