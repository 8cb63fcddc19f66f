// The package's public surface: what users need is exported, the raw addon and internals are not.
import * as bertrun from '../../lib/index';

test('exports models, tokenizer, trainer, arguments, metrics, readers and runtime helpers', () => {
  for (const name of [
    'BertModel',
    'BertTokenizer',
    'Trainer',
    'resolveTrainingArguments',
    'metrics',
    'readRecords',
    'readSquad',
    'tokenClassification',
    'DataError',
    'setSeed',
    'buildInfo',
    'cli',
  ]) {
    expect({ name, exported: name in bertrun }).toEqual({ name, exported: true });
  }
});

test('does not export the raw addon object or tokenizer internals', () => {
  for (const name of ['native', 'codePointToUtf16Map']) expect({ name, exported: name in bertrun }).toEqual({ name, exported: false });
});

test('setSeed checks its argument', async () => {
  await expect(bertrun.setSeed(1.5)).rejects.toThrow('setSeed: seed must be an integer, got 1.5');
});
