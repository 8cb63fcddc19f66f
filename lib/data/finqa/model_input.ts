// The text a FinQA entry gives the model: the question, and as the second segment (after [SEP]) the
// evidence, chosen and laid out the way FinQA's generator builds it (code/generator/finqa_utils.py
// read_mathqa_entry, code/generator/Convert.py, code/utils/general_utils.py table_row_to_text).
import type { FinqaEntry } from './finqa_entry';

export interface FinqaModelInput {
  question: string;
  context: string;
}

/**
 * The question and the context, the first of these that the entry has:
 * 1. `qa.model_input` (the retriever's sentences, already in document order), when not empty;
 * 2. `qa.gold_inds` (the gold facts), when not empty, in document order: sentences of `pre_text`,
 *    then table rows, then sentences of `post_text`, each by index, as Convert.py lays out the
 *    generator's input (FinQA's own "gold" mode keeps the JSON key order instead; the keys are
 *    the same facts, this order does not depend on how the file was written);
 * 3. the whole document: `pre_text`, the table rows after the header linearised by
 *    {@link finqaTableRowText}, then `post_text`.
 * The pieces are joined with spaces and FinQA's leader dots (`. . . . . .`) and star runs
 * (`* * * * * *`) are removed from the context; in both texts runs of whitespace become one space
 * (which BERT's tokenizer does not see anyway).
 * FinQA's generator puts the table after `post_text` in its no-retriever mode; document order is
 * kept here, as Convert.py keeps it for the retriever's selection.
 */
export function finqaModelInput(entry: FinqaEntry): FinqaModelInput {
  return { question: collapseSpaces(entry.qa.question), context: clean(contextSentences(entry).join(' ')) };
}

function contextSentences(entry: FinqaEntry): string[] {
  const { modelInput, goldInds } = entry.qa;
  if (modelInput !== undefined && modelInput.length > 0) return modelInput.map(([, sentence]) => sentence);
  const gold = Object.entries(goldInds);
  if (gold.length > 0) {
    const rank = ([key]: [string, string]): number => {
      const [kind, n] = key.split('_');
      const at = Number(n);
      if (kind === 'table') return 1e9 + at;
      return at < entry.preText.length ? at : 2e9 + at;
    };
    return gold.sort((a, b) => rank(a) - rank(b)).map(([, sentence]) => sentence);
  }
  const [header = [], ...rows] = entry.table;
  return [...entry.preText, ...rows.map((row) => finqaTableRowText(header, row)), ...entry.postText];
}

/**
 * One table row as a sentence, FinQA's template (general_utils.py `table_row_to_text`): the
 * header's first cell when not empty (often the unit, e.g. `( in millions )`), then for each column
 * `the <row name> of <column header> is <cell> ;`, extra cells on either side dropped as Python's
 * zip does. E.g. header `["", "2019", "2018"]`, row `["net revenue", "$ 1,234", "$ 1,100"]` gives
 * `the net revenue of 2019 is $ 1,234 ; the net revenue of 2018 is $ 1,100 ;`.
 */
export function finqaTableRowText(header: readonly string[], row: readonly string[]): string {
  const parts = header[0] ? [header[0]] : [];
  const columns = Math.min(header.length, row.length);
  for (let c = 1; c < columns; c++) parts.push(`the ${row[0]} of ${header[c]} is ${row[c]} ;`);
  return collapseSpaces(parts.join(' '));
}

function clean(text: string): string {
  return collapseSpaces(text.replaceAll('. . . . . .', '').replaceAll('* * * * * *', ''));
}

function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
