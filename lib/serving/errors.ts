// Errors an inference request can fail with, each carrying the HTTP status it maps to, so the
// pipeline API and `bertrun serve` report the same problem the same way.

/** A request's input or parameter is wrong: names the field and what to send instead. */
export class PipelineInputError extends Error {
  readonly status: 400 | 422;
  /** The offending field, as a path into the request (e.g. `inputs[2].text_pair`, `parameters.top_k`). */
  readonly field: string;

  constructor(field: string, message: string, status: 400 | 422 = 400) {
    super(`${field}: ${message}`);
    this.name = 'PipelineInputError';
    this.field = field;
    this.status = status;
  }
}

/** The model cannot serve this task (wrong head, no entailment label, no mask token): a setup error. */
export class PipelineSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineSetupError';
  }
}
