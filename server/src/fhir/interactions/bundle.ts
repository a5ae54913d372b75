// POST [base] with a batch or transaction Bundle.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { parseEntries, type Entry } from '../bundle/entries.js';
import { interactionNeeds, requireReadable, requireScope, searchBounds } from '../../auth/index.js';
import type { Action } from '../../auth/scopes.js';
import { processBatch, processTransaction } from '../bundle/process.js';
import type { TransactionOps } from '../../repo/index.js';
import type { FhirContext } from '../context.js';
import { badRequest, FhirError } from '../outcome.js';
import { noteAccess, refuseAuditWrites, seen } from '../../audit/index.js';

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
    // Entries work with patient/ scopes as the same interactions on their own URLs do: what they
    // write is checked before the transaction commits (writeGuard), reads are checked, searches and
    // conditional matches stay within the caller's bounds. A search entry that looks into other
    // types (chains, _has, includes) still needs scopes on every type.
    authorize: (e: Entry) => {
      refuseAuditWrites(e.type, e.method);
      const [type, actions] = entryNeeds(e);
      requireScope(ctx, type, actions, type === '*');
    },
    authorizeSearch: (type: string) => requireScope(ctx, type, ['s']),
    bounds: (type: string) => searchBounds(ctx, [type]),
    checkRead: (resource: Resource, ops: TransactionOps) => requireReadable(ctx, resource, ops),
  };
  // entries write through this request's repository: each change is audited in its transaction
  const audited = { ...app, repo: ctx.state.repo };
  const response = bundle.type === 'transaction' ? await processTransaction(audited, entries, options) : await processBatch(audited, entries, options);
  noteEntryReads(ctx, entries, response);
  ctx.body = response;
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

/** What the Bundle's GET entries read, for the audit trail (its writes audit themselves). */
function noteEntryReads(ctx: FhirContext, entries: (Entry | FhirError)[], response: Bundle): void {
  const { baseUrl } = ctx.state.app.config;
  entries.forEach((e, i) => {
    const resource = response.entry?.[i]?.resource;
    if (e instanceof FhirError || e.method !== 'GET' || !resource) return;
    if (resource.resourceType === 'Bundle') {
      const found = (resource.entry ?? []).flatMap((x) => (x.resource ? [seen(x.resource, baseUrl)] : []));
      noteAccess(ctx, { interaction: 'search-type', action: 'E', seen: found, types: [e.type], query: e.url });
    } else {
      noteAccess(ctx, { interaction: 'read', action: 'R', seen: [seen(resource, baseUrl)], types: [e.type] });
    }
  });
}
