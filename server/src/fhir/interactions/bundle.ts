// POST [base] with a batch or transaction Bundle.
import type { Bundle } from '@medplum/fhirtypes';
import { parseEntries } from '../bundle/entries.js';
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
  ctx.body = bundle.type === 'transaction' ? await processTransaction(app, entries, { minimal }) : await processBatch(app, entries, { minimal });
}
