// fastify's JSON-schema validation errors as one message naming the field at fault
// (`body/inputs must be string, got 5`, `body/sentence1 is required`), instead of Ajv's list of
// every failed branch of an anyOf.
import type { FastifySchemaValidationError } from 'fastify';
import { describeJson } from '../task_definition';

/** Ajv's error with the extras its `verbose` option adds (the failing schema and data). */
interface VerboseError extends FastifySchemaValidationError {
  parentSchema?: { description?: string; properties?: Record<string, unknown> };
  data?: unknown;
}

/** fastify's schemaErrorFormatter: the error whose message is sent back as a 400. */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  return new Error(errors.length === 0 ? `${dataVar} is not valid` : describeError(errors as VerboseError[], errors.length - 1, dataVar));
}

/**
 * The message for errors[index], the last of its group (Ajv reports an anyOf's branch errors before
 * the anyOf's own). For an anyOf whose branches all but one fail on the value's type, the error is
 * that branch's (`body/inputs/2 must be string`); otherwise the anyOf's description says what fits.
 */
function describeError(errors: VerboseError[], index: number, dataVar: string): string {
  const error = errors[index];
  const field = `${dataVar}${error.instancePath}`;
  if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
    const branches = new Map<string, number[]>();
    for (let i = 0; i < index; i++) {
      const rest = errors[i].schemaPath.startsWith(`${error.schemaPath}/`) ? errors[i].schemaPath.slice(error.schemaPath.length + 1) : undefined;
      if (rest === undefined) continue;
      const branch = rest.split('/')[0];
      branches.set(branch, [...(branches.get(branch) ?? []), i]);
    }
    const fitting = [...branches.values()].filter(
      (group) => !(group.length === 1 && errors[group[0]].keyword === 'type' && errors[group[0]].instancePath === error.instancePath),
    );
    if (fitting.length === 1) return describeError(errors, fitting[0][fitting[0].length - 1], dataVar);
    const expected = error.parentSchema?.description ?? 'one of the shapes the API documents (see /openapi.json)';
    return `${field} must be ${expected}, got ${describeJson(error.data)}`;
  }
  switch (error.keyword) {
    case 'required':
      return `${field}/${String(error.params.missingProperty)} is required`;
    case 'additionalProperties': {
      const known = Object.keys(error.parentSchema?.properties ?? {});
      return `${field}/${String(error.params.additionalProperty)} is not a field of this request${known.length ? `; known: ${known.join(', ')}` : ''}`;
    }
    case 'type':
      return `${field} must be ${String(error.params.type)}, got ${describeJson(error.data)}`;
    case 'minLength':
      return error.params.limit === 1 ? `${field} must not be empty` : `${field} ${error.message}`;
    case 'minItems':
      return error.params.limit === 1 ? `${field} must not be an empty list` : `${field} must hold at least ${String(error.params.limit)} items`;
    case 'enum':
      return `${field} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeJson(error.data)}`;
    case 'maxItems':
      return `${field} must hold at most ${String(error.params.limit)} items`;
    default:
      return `${field} ${error.message ?? 'is not valid'}`;
  }
}
