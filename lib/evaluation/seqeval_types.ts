/**
 * Types shared by the seqeval-compatible NER metrics: options, warnings and errors.
 *
 * seqeval reports ill-defined scores and odd tags through Python's `warnings` module; here each
 * public function takes an `onWarning` listener instead and calls it once per distinct warning
 * per call (Python's default filter likewise prints a repeated warning once).
 */

/** The Python warning class seqeval (or numpy under it) raises. */
export type SeqevalWarningCategory = 'UserWarning' | 'UndefinedMetricWarning' | 'RuntimeWarning';

export interface SeqevalWarning {
  category: SeqevalWarningCategory;
  /** The warning text, as Python prints it. */
  message: string;
}

export type WarningListener = (warning: SeqevalWarning) => void;

/** Tagging schemes of `seqeval.scheme`, for strict mode. */
export type Scheme = 'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES' | 'BILOU';

/**
 * seqeval's `zero_division`: the value a precision or recall with a zero denominator takes.
 * `'warn'` acts as 0 and reports an UndefinedMetricWarning.
 */
export type ZeroDivision = 'warn' | 0 | 1;

/** How per-type scores combine (seqeval's `average`). */
export type SeqevalAverage = 'micro' | 'macro' | 'weighted';

export interface TagOptions {
  /** Tags are written `PER-B` instead of `B-PER`. Default false. */
  suffix?: boolean;
  onWarning?: WarningListener;
}

/**
 * `default`: conlleval-compatible chunking, no scheme (seqeval's `mode=None`).
 * `strict`: entities as `scheme` defines them; a tag whose prefix the scheme does not allow
 * throws (seqeval's `mode='strict', scheme=...`).
 */
export type ModeOptions = { mode?: 'default' } | { mode: 'strict'; scheme: Scheme };

export type ScoreOptions = TagOptions &
  ModeOptions & {
    /** Default `'warn'`. */
    zeroDivision?: ZeroDivision;
    /** Default `'micro'`. */
    average?: SeqevalAverage;
  };

export type ReportOptions = TagOptions & ModeOptions & { zeroDivision?: ZeroDivision };

/** The Python exception seqeval raises in the same situation. */
export type PythonErrorType = 'ValueError' | 'KeyError' | 'IndexError' | 'TypeError' | 'ZeroDivisionError';

/**
 * What seqeval raises, with the Python exception class and text kept apart from the message:
 * `message` equals `pythonMessage` where seqeval's text already says what is wrong (invalid
 * token, inconsistent lengths) and explains more where it does not (`KeyError: 'X'`).
 */
export class SeqevalError extends Error {
  constructor(
    readonly pythonType: PythonErrorType,
    readonly pythonMessage: string,
    message: string = pythonMessage,
  ) {
    super(message);
    this.name = 'SeqevalError';
  }

  /** `ValueError: ...`, as Python prints the exception's last line. */
  get pythonError(): string {
    return `${this.pythonType}: ${this.pythonMessage}`;
  }
}

/** Reports each distinct warning once. */
export class WarningSink {
  private readonly seen = new Set<string>();

  constructor(private readonly listener: WarningListener | undefined) {}

  warn(category: SeqevalWarningCategory, message: string): void {
    const key = `${category}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.listener?.({ category, message });
  }
}
