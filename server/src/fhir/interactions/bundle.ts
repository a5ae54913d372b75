// POST [base] with a batch or transaction Bundle.
import type { Bundle } from '@medplum/fhirtypes';
import { parseEntries, type Entry } from '../bundle/entries.js';
import { interactionNeeds, requireScope } from '../../auth/index.js';
import type { Action } from '../../auth/scopes.js';
import { processBatch, processTransaction } from '../bundle/process.js';
import type { FhirContext } from '../context.js';
import { badRequest } from '../outcome.js';

export async function batchOrTransaction(ctx: FhirContext): Promise<void> {
  const bundle = ctx.state.body as Bundle | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw badRequest('POST to the base URL takes a Bundle of type batch or transaction');
  }
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw badRequest(`Bundle.type must be batch or transaction, not "${String(bundle.type)}"`, 'Bundle.type');
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry');
  const { app } = ctx.state;
  const entries = parseEntries(bundle, app.config.baseUrl);
  const minimal = /(?:^|[,;\s])return\s*=\s*"?minimal/i.test(ctx.get('Prefer'));
  const options = {
    minimal,
    // entries are not yet kept to one patient's compartment: patient/ scopes do not reach them
    authorize: (e: Entry) => requireScope(ctx, ...entryNeeds(e), true),
    authorizeSearch: (type: string) => requireScope(ctx, type, ['s'], true),
  };
  ctx.body = bundle.type === 'transaction' ? await processTransaction(app, entries, options) : await processBatch(app, entries, options);
}

/**
 * What an entry needs, as the same interaction on its own URL would. A search entry that chains,
 * uses _has or includes other types needs search and read on every type (wildcard scope) for now.
 */
function entryNeeds(e: Entry): [string, Action[]] {
  const crossType = [...(e.query?.keys() ?? [])].some((k) => k.includes('.') || k.startsWith('_has') || k.startsWith('_include') || k.startsWith('_revinclude'));
  if ((e.method === 'GET' || e.method === 'HEAD') && e.id === undefined && crossType) return ['*', ['r', 's']];
  return [e.type, interactionNeeds(e.method, e.id === undefined, !!e.ifNoneExist)];
}
