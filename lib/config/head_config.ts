// The heads of a multi-head model, as config.json declares them under "bertrun_heads": each a
// linear layer on the pooled output (classification, multi-label, regression) or on every token
// (token-classification), with its own label names and loss weight. The model's loss is the
// weighted sum of the heads' losses; parameters are heads.<name>.weight / heads.<name>.bias.
//
//   "bertrun_heads": [
//     { "name": "program", "type": "classification", "labels": ["add0", "divide0", ...] },
//     { "name": "ops", "type": "multi-label", "labels": ["add0", ...], "loss_weight": 0.5 }
//   ]

export const HEAD_TYPES = ['classification', 'multi-label', 'regression', 'token-classification'] as const;
export type HeadType = (typeof HEAD_TYPES)[number];

export interface HeadConfig {
  /** Letters, digits and _: it becomes a parameter name (heads.<name>.weight) and the output logits.<name>. */
  name: string;
  type: HeadType;
  num_labels: number;
  /** The head's loss counts this much in the model's loss. Default 1. */
  loss_weight: number;
  /** Class (or output) names, num_labels of them; default LABEL_0, LABEL_1, ... */
  labels: string[];
}

/** Validates config.json's bertrun_heads; `fail(field, problem)` throws with the file named. */
export function parseHeads(raw: unknown, fail: (field: string, problem: string) => never): HeadConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail('bertrun_heads', 'must be a non-empty array of heads { name, type, labels | num_labels }');
  const seen = new Set<string>();
  return raw.map((entry: unknown, i): HeadConfig => {
    const at = `bertrun_heads[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail(at, 'must be an object { name, type, labels | num_labels }');
    const h = entry as Record<string, unknown>;
    if (typeof h.name !== 'string' || !/^[A-Za-z0-9_]+$/.test(h.name)) return fail(`${at}.name`, 'must be letters, digits and _ (it becomes a parameter name)');
    if (seen.has(h.name)) return fail(`${at}.name`, `"${h.name}" names two heads`);
    seen.add(h.name);
    if (typeof h.type !== 'string' || !(HEAD_TYPES as readonly string[]).includes(h.type)) return fail(`${at}.type`, `must be one of ${HEAD_TYPES.join(', ')}`);
    let labels: string[] | undefined;
    if (h.labels !== undefined) {
      if (!Array.isArray(h.labels) || h.labels.length === 0 || h.labels.some((l) => typeof l !== 'string'))
        return fail(`${at}.labels`, 'must be a non-empty array of strings');
      labels = h.labels as string[];
      if (new Set(labels).size !== labels.length) return fail(`${at}.labels`, 'holds the same label twice');
    }
    let numLabels = labels?.length;
    if (h.num_labels !== undefined) {
      if (typeof h.num_labels !== 'number' || !Number.isInteger(h.num_labels) || h.num_labels < 1) return fail(`${at}.num_labels`, 'must be an integer >= 1');
      if (numLabels !== undefined && numLabels !== h.num_labels) return fail(`${at}.num_labels`, `(${h.num_labels}) disagrees with labels (${numLabels})`);
      numLabels = h.num_labels;
    }
    if (numLabels === undefined) {
      if (h.type !== 'regression') return fail(at, 'needs labels or num_labels');
      numLabels = 1;
    }
    const weight = h.loss_weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) return fail(`${at}.loss_weight`, 'must be a number >= 0');
    return {
      name: h.name,
      type: h.type as HeadType,
      num_labels: numLabels,
      loss_weight: weight,
      labels: labels ?? Array.from({ length: numLabels }, (_, k) => `LABEL_${k}`),
    };
  });
}

/** Whether the head reads every token's state (one output row per token) rather than the pooled output. */
export function isTokenHead(head: Pick<HeadConfig, 'type'>): boolean {
  return head.type === 'token-classification';
}
