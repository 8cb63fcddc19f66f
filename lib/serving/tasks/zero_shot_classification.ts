// zero-shot-classification: transformers' ZeroShotClassificationPipeline over an NLI model. Every
// candidate label becomes the hypothesis of a (text, hypothesis) pair; the entailment logits rank them.
import { softmax } from '../../evaluation/softmax';
import type { TokenizerInput } from '../../tokenization/bert_tokenizer';
import type { Encoding } from '../../tokenization/encoding';
import { PipelineInputError, PipelineSetupError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  describeJson,
  encodeForModel,
  optionalBoolean,
  parseOneOrMany,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  SiblingFailedError,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';

export interface ZeroShotClassificationParameters {
  /** The labels to choose from: a list, or one string of comma-separated labels. Required. */
  candidate_labels: string | string[];
  /** Turns a label into the hypothesis; `{}` stands for the label. Default "This example is {}.". */
  hypothesis_template?: string;
  /**
   * false (default): scores are a softmax of the entailment logits over the labels (they sum to 1);
   * true: each label is scored alone, a softmax of its contradiction and entailment logits.
   */
  multi_label?: boolean;
}

export interface ZeroShotResult {
  sequence: string;
  /** The candidate labels, most likely first. */
  labels: string[];
  scores: number[];
}

export type ZeroShotClassificationOutput = ZeroShotResult | ZeroShotResult[];

interface Params {
  labels: string[];
  hypotheses: string[];
  multiLabel: boolean;
}

const DEFAULT_TEMPLATE = 'This example is {}.';

export const zeroShotClassification: TaskDefinition<string, Params, ZeroShotResult, ZeroShotClassificationOutput> = {
  modelTask: 'sequence-classification',

  checkModel(engine: InferenceEngine): void {
    if (entailmentId(engine) === -1) {
      const labels = Object.keys(engine.model.config.label2id);
      throw new PipelineSetupError(
        `${engine.modelDir}: config.json's label2id (${JSON.stringify(labels)}) has no label starting with "entail", so zero-shot ` +
          'classification cannot tell which logit means entailment. It needs a model fine-tuned on NLI (e.g. MNLI). ' +
          'Fix: name its classes in config.json, e.g. "id2label": {"0": "contradiction", "1": "neutral", "2": "entailment"} with the matching "label2id".',
      );
    }
  },

  parseInputs(raw: unknown, field: string): ParsedInputs<string> {
    return parseOneOrMany(raw, field, Array.isArray, requireText);
  },

  parseParameters(raw: Record<string, unknown>): Params {
    rejectUnknownParameters(raw, ['candidate_labels', 'hypothesis_template', 'multi_label']);
    const labels = parseLabels(raw.candidate_labels);
    const template = raw.hypothesis_template ?? DEFAULT_TEMPLATE;
    if (typeof template !== 'string') throw new PipelineInputError('parameters.hypothesis_template', `must be a string, got ${describeJson(template)}`);
    const hypotheses = labels.map((label) => formatTemplate(template, label));
    if (hypotheses[0] === template) {
      throw new PipelineInputError(
        'parameters.hypothesis_template',
        `"${template}" does not take the label: put {} where the label goes, e.g. "${DEFAULT_TEMPLATE}"`,
      );
    }
    return { labels, hypotheses, multiLabel: optionalBoolean(raw, 'multi_label') ?? false };
  },

  async run(sequence: string, params: Params, context: RunContext, field: string): Promise<ZeroShotResult> {
    // Counted before tokenizing: one pair per label.
    context.budget?.take(params.hypotheses.length, field);
    const encodings = await encodePairs(context, sequence, params.hypotheses, field);
    if (context.failure?.failed) throw new SiblingFailedError();
    // All pairs in one submission, so they share batches.
    const outputs = await context.engine.run(encodings);
    const logits = outputs.map((o) => Array.from(o.logits.data));
    const entailment = entailmentId(context.engine);
    let scores: number[];
    if (params.multiLabel || params.labels.length === 1) {
      const contradiction = entailment === 0 ? logits[0].length - 1 : 0;
      scores = logits.map((l) => softmax([l[contradiction], l[entailment]])[1]);
    } else {
      scores = softmax(logits.map((l) => l[entailment]));
    }
    // transformers: reversed(argsort(scores)); a stable ascending sort reversed puts the later label first on a tie.
    const order = scores
      .map((score, i) => ({ score, i }))
      .sort((a, b) => a.score - b.score || a.i - b.i)
      .reverse();
    return { sequence, labels: order.map(({ i }) => params.labels[i]), scores: order.map(({ score }) => score) };
  },

  format(results: ZeroShotResult[], single: boolean): ZeroShotClassificationOutput {
    return single ? results[0] : results;
  },
};

/** The id of the first label2id name starting with "entail" (any case), or -1, as transformers finds it. */
export function entailmentId(engine: InferenceEngine): number {
  for (const [label, id] of Object.entries(engine.model.config.label2id)) {
    if (label.toLowerCase().startsWith('entail')) return id;
  }
  return -1;
}

function parseLabels(raw: unknown): string[] {
  const field = 'parameters.candidate_labels';
  if (raw === undefined || raw === null) {
    throw new PipelineInputError(field, 'is required: the labels to choose from, as a list or one comma-separated string');
  }
  let labels: string[];
  if (typeof raw === 'string') {
    labels = raw
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== '');
  } else if (Array.isArray(raw)) {
    labels = raw.map((label, i) => requireText(label, `${field}[${i}]`));
  } else {
    throw new PipelineInputError(field, `must be a list of labels or one comma-separated string, got ${describeJson(raw)}`);
  }
  if (labels.length === 0) throw new PipelineInputError(field, 'must name at least one label');
  return labels;
}

/**
 * Python's `template.format(label)` for the forms a hypothesis template uses: `{}` or `{0}` for
 * the label, `{{` and `}}` for braces.
 */
export function formatTemplate(template: string, label: string): string {
  const fail = (why: string): never => {
    throw new PipelineInputError('parameters.hypothesis_template', `${why}; use {} where the label goes ({{ and }} for literal braces)`);
  };
  let out = '';
  let automatic = 0;
  let manual = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') {
      out += '{';
      i++;
    } else if (c === '}' && template[i + 1] === '}') {
      out += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end === -1) fail(`has an unclosed "{" at ${i}`);
      const name = template.slice(i + 1, end);
      if (name === '') automatic++;
      else if (name === '0') manual = true;
      else fail(`has the field {${name}}, which the label cannot fill`);
      if (automatic > 1) fail('has more than one {}, but there is one label (repeat it with {0})');
      if (automatic > 0 && manual) fail('mixes {} and {0}');
      out += label;
      i = end;
    } else if (c === '}') {
      fail(`has a single "}" at ${i}`);
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Encodes (sequence, hypothesis) pairs, truncating only the sequence (transformers' only_first);
 * a pair whose hypothesis alone leaves the sequence no room is not truncated, as in transformers,
 * and fails if it is then too long.
 */
async function encodePairs(context: RunContext, sequence: string, hypotheses: readonly string[], field: string): Promise<Encoding[]> {
  const pairs: TokenizerInput[] = hypotheses.map((h) => [sequence, h]);
  const fields = hypotheses.map((h) => `${field} (with the hypothesis "${h}")`);
  if (!context.truncate) return encodeForModel(context, pairs, fields);
  try {
    return await encodeForModel(context, pairs, fields, { truncation: 'only_first' });
  } catch {
    return Promise.all(
      pairs.map(async (pair, i) => {
        try {
          return (await encodeForModel(context, [pair], [fields[i]], { truncation: 'only_first' }))[0];
        } catch {
          return (await encodeForModel({ ...context, truncate: false }, [pair], [fields[i]]))[0];
        }
      }),
    );
  }
}
