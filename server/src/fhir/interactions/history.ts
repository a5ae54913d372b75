// history at instance, type and system level: _since, _at, _count, with next links that use a
// sequence cursor, so pages neither skip nor repeat versions while new ones are written.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { HistoryEntry } from '../../repo/index.js';
import type { FhirContext } from '../context.js';
import { dateRange } from '../dates.js';
import { etag } from '../http.js';
import { badRequest, notFound } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';
import { mayRead, reach, requireInScope } from '../../auth/index.js';
import { noteAccess, requestQuery, seen } from '../../audit/index.js';

const DEFAULT_COUNT = 50;
const KNOWN = new Set(['_count', '_since', '_at', '_cursor', '_format', '_pretty']);

export async function history(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  const { config, repo } = ctx.state.app;
  if (id !== undefined) {
    if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
    const current = await repo.read(type, id).catch((err) => {
      if (err.status !== 410) throw err; // a deleted resource still has its history
      return undefined;
    });
    // within one patient's record: the resource must be in it now (a deleted one is not)
    if (reach(ctx, type, 'r') !== 'all') {
      if (!current) throw notFound(`${type}/${id} is deleted`);
      requireInScope(ctx, current, 'r');
    }
  }
  const query = new URLSearchParams(ctx.querystring);
  for (const name of query.keys()) {
    if (!KNOWN.has(name)) throw badRequest(`Unknown history parameter "${name}" (known: _count, _since, _at)`);
  }
  const count = parseCount(query.get('_count'), config.maxPageSize);
  const since = query.get('_since');
  const at = query.get('_at');
  const cursor = query.get('_cursor');
  if (cursor !== null && !/^[0-9]{1,19}$/.test(cursor)) throw badRequest('_cursor is not a valid paging cursor');
  const page = await repo.history({
    resourceType: type,
    id,
    count,
    since: since !== null ? dateRange(since, '_since').start : undefined,
    at: at !== null ? dateRange(at, '_at') : undefined,
    before: cursor ?? undefined,
    // AuditEvents are read by searching them, not in the history of everything
    ...(type === undefined ? { excludeType: 'AuditEvent' } : {}),
  });

  const base = config.baseUrl;
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const link: Bundle['link'] = [{ relation: 'self', url: `${base}/${path}${ctx.querystring ? `?${ctx.querystring}` : ''}` }];
  if (page.nextBefore) {
    query.set('_cursor', page.nextBefore);
    link.push({ relation: 'next', url: `${base}/${path}?${query}` });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    link,
    entry: page.entries.filter((e) => id !== undefined || !type || shownInTypeHistory(ctx, type, e)).map((e) => historyEntry(base, e)),
  };
  const shown = (bundle.entry ?? []).flatMap((e) => (e.resource ? [seen(e.resource, config.baseUrl)] : []));
  const interaction = id !== undefined ? 'history-instance' : type !== undefined ? 'history-type' : 'history-system';
  noteAccess(ctx, { interaction, action: 'R', seen: shown, types: [type ?? '*'], query: requestQuery(ctx) });
  ctx.body = bundle;
}

/**
 * Through patient/ scopes a type history shows that patient's versions (deletes, having no
 * content, not at all); through granular scopes, none (their queries match current versions only).
 */
function shownInTypeHistory(ctx: FhirContext, type: string, e: HistoryEntry): boolean {
  if (reach(ctx, type, 'r') === 'all') return true;
  return e.resource !== undefined && mayRead(ctx, e.resource);
}

function parseCount(raw: string | null, max: number): number {
  if (raw === null) return Math.min(DEFAULT_COUNT, max);
  if (!/^[0-9]+$/.test(raw)) throw badRequest(`_count must be a whole number, got "${raw}"`);
  return Math.max(1, Math.min(Number(raw), max));
}

function historyEntry(base: string, e: HistoryEntry): BundleEntry {
  const fullUrl = `${base}/${e.resourceType}/${e.id}`;
  const status = e.method === 'DELETE' ? '204' : e.versionId === 1 || e.method === 'POST' ? '201' : '200';
  return {
    fullUrl,
    ...(e.resource ? { resource: e.resource } : {}),
    request: { method: e.method, url: e.method === 'POST' ? e.resourceType : `${e.resourceType}/${e.id}` },
    response: { status, etag: etag(e.versionId), lastModified: e.lastUpdated },
  };
}
