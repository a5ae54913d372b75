// An operation's input: its query parameters and, for a POST, those of a Parameters body.
import type { Parameters } from '@medplum/fhirtypes';
import type { FhirContext } from './context.js';
import { badRequest } from './outcome.js';

/** Query and Parameters body as one list (primitive value[x] only); operation names it in errors. */
export function operationParameters(ctx: FhirContext, operation: string): URLSearchParams {
  const params = new URLSearchParams(ctx.querystring);
  const body = ctx.state.body as Parameters | undefined;
  if (ctx.method === 'POST' && body) {
    if (body.resourceType !== 'Parameters') throw badRequest(`POST ${operation} takes a Parameters resource`);
    for (const p of body.parameter ?? []) {
      const value = Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw badRequest(`${operation} parameter "${p.name}" has no value`);
      params.append(p.name, String(value));
    }
  }
  return params;
}
