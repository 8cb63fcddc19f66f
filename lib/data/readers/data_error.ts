/** What went wrong with a data file; lets callers (CLI, tests) branch without parsing messages. */
export type DataErrorCode =
  | 'MISSING_FILE'
  | 'UNKNOWN_FORMAT'
  | 'INVALID_ENCODING'
  | 'MALFORMED_ROW'
  | 'UNTERMINATED_QUOTE'
  | 'MALFORMED_QUOTE'
  | 'LINE_TOO_LONG'
  | 'DUPLICATE_COLUMN'
  | 'INVALID_JSON'
  | 'MISSING_COLUMN'
  | 'EMPTY_TEXT'
  | 'MISSING_LABEL'
  | 'UNKNOWN_LABEL'
  | 'EMPTY_DATASET'
  | 'UNKNOWN_TASK';

/**
 * An error in a data file or in how it is described, found before training starts. The message
 * starts with `file:line:` (or `file:` when no single line is at fault) and ends with how to fix it.
 */
export class DataError extends Error {
  override readonly name = 'DataError';

  /**
   * @param code - the kind of problem
   * @param file - the file at fault (as given by the user); for UNKNOWN_TASK, the option (`--task_name`)
   * @param line - 1-based line in `file`, when one line is at fault
   * @param problem - what is wrong, without the location prefix
   * @param fix - what the user can do about it
   */
  constructor(
    readonly code: DataErrorCode,
    readonly file: string,
    readonly line: number | undefined,
    problem: string,
    fix?: string,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${problem}${fix ? `. ${fix}` : ''}`);
  }
}
