// search-type (GET /Type?..., POST /Type/_search), compartment search (GET /Patient/id/Type, /Patient/id/*)
// and Patient/$everything: a searchset Bundle with offset paging links, totals, includes, _summary
// and _elements, and the warnings of a lenient search as an OperationOutcome entry.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { FoundResource } from '../../repo/search.js';
import { parseSearch, type Criterion } from '../../search/index.js';
import { patientCompartment } from '../../search/compartment.js';
import type { FhirContext } from '../context.js';
import { may, mayRead, patientScope, requireSearchScope, searchBounds } from '../../auth/index.js';
import { noteAccess, seenJson, type Access } from '../../audit/index.js';
import { resourceTypes } from '../definitions.js';
import { badRequest, fhirError, notFound, outcome, issue } from '../outcome.js';
import { summarize } from '../summary.js';
import { ID_PATTERN } from '../validate.js';

const DEFAULT_COUNT = 20;

/** GET /Type?... and POST /Type/_search. */
export async function search(ctx: FhirContext): Promise<void> {
  const { type } = ctx.params;
  await respondWithSearch(ctx, type, [type], searchQuery(ctx), [], `${type}`, { interaction: 'search-type' });
}

/** GET /Patient/id/Type and /Patient/id/*: a search within the patient's compartment. */
export async function compartmentSearch(ctx: FhirContext): Promise<void> {
  const { type, id, compartmentType } = ctx.params;
  const { links, types } = compartmentOf(type, id, compartmentType === '*' ? undefined : compartmentType);
  const query = searchQuery(ctx);
  const resourceType = types.length === 1 ? types[0] : 'Resource';
  requireOwnRecord(ctx, id, types);
  const criterion: Criterion = { kind: 'compartment', targetType: type, targetIds: [id], links };
  await respondWithSearch(ctx, resourceType, types, query, [criterion], `${type}/${id}/${compartmentType}`, { interaction: 'search-type', patient: id });
}

/** Patient/id/$everything: the patient and everything in their compartment (_since, _type, _count). */
export async function everything(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  const incoming = searchQuery(ctx);
  const query = new URLSearchParams();
  let only: string[] | undefined;
  for (const [name, value] of incoming) {
    if (name === '_since') query.append('_lastUpdated', `ge${value}`);
    else if (name === '_type') only = value.split(',').map((t) => t.trim());
    else if (['_count', '_offset', '_format', '_pretty', '_elements', '_summary', '_total'].includes(name)) query.append(name, value);
    else throw badRequest(`$everything does not take "${name}" (it takes _since, _type, _count)`);
  }
  const { links, types } = compartmentOf(type, id, undefined);
  for (const t of only ?? []) if (t !== 'Patient' && !types.includes(t)) throw badRequest(`_type "${t}" is not in the Patient compartment`);
  // without _type: the types the caller may search (with _type, each named type must be allowed)
  const searched = (only ?? ['Patient', ...types].filter((t) => may(ctx, t, 's'))).filter((t) => t === 'Patient' || types.includes(t));
  requireOwnRecord(ctx, id, searched);
  // the patient itself, and everything in its compartment
  const criterion: Criterion = {
    kind: 'or',
    alternatives: [
      { kind: 'is', type, id },
      { kind: 'compartment', targetType: type, targetIds: [id], links },
    ],
  };
  await ctx.state.repo.read(type, id); // 404 or 410 unless the patient exists
  await respondWithSearch(ctx, 'Resource', searched, query, [criterion], `${type}/${id}/$everything`, { interaction: 'operation', operation: '$everything', patient: id });
}

/** Under patient/ scopes, a compartment is searched only when it is the patient in context. */
function requireOwnRecord(ctx: FhirContext, id: string, types: string[]): void {
  for (const t of types) {
    const patient = patientScope(ctx, t, 's');
    if (patient !== undefined && patient !== id) throw fhirError(403, 'forbidden', `The access token reaches only the record of Patient/${patient}`);
  }
}

function compartmentOf(type: string, id: string, only: string | undefined) {
  if (type !== 'Patient') throw notFound(`Only the Patient compartment is supported, not ${type}`);
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  const compartment = patientCompartment();
  if (only !== undefined && !compartment.has(only)) {
    if (!resourceTypes().includes(only)) throw notFound(`Unknown resource type "${only}"`);
    throw badRequest(`${only} is not in the Patient compartment`);
  }
  // a whole compartment (/Patient/id/*, $everything) is the patient's record, not who looked at it
  const types = only ? [only] : [...compartment.keys()].filter((t) => resourceTypes().includes(t) && t !== 'AuditEvent').sort();
  const links = types.flatMap((t) => compartment.get(t)!.map((param) => ({ type: t, param })));
  return { links, types };
}

/** The query of a GET, or of a POST _search (form body and URL together). */
function searchQuery(ctx: FhirContext): URLSearchParams {
  const query = new URLSearchParams(ctx.querystring);
  const form = ctx.state.body;
  if (form instanceof URLSearchParams) for (const [name, value] of form) query.append(name, value);
  return query;
}

/** How the audit trail names a search: its interaction, and the patient when the request named one. */
type SearchKind = Pick<Access, 'interaction' | 'operation' | 'patient'>;

async function respondWithSearch(
  ctx: FhirContext,
  resourceType: string,
  types: string[],
  query: URLSearchParams,
  extra: Criterion[],
  path: string,
  kind: SearchKind,
): Promise<void> {
  const { config } = ctx.state.app;
  const { repo } = ctx.state;
  const strict = /(^|[,;\s])handling\s*=\s*strict/i.test(ctx.get('Prefer'));
  const lenient = /(^|[,;\s])handling\s*=\s*lenient/i.test(ctx.get('Prefer'));
  const request = parseSearch(resourceType, query, { strict, lenient, baseUrl: config.baseUrl });
  requireSearchScope(ctx, types, request.criteria);
  request.criteria.push(...extra);
  // patient/ scopes: a search of one type stays within the patient's compartment (compartment
  // searches and $everything are checked to be that patient's by requireOwnRecord)
  if (types.length === 1) request.criteria.push(...searchBounds(ctx, types));
  const count = Math.min(request.count ?? DEFAULT_COUNT, config.maxPageSize);
  // _count=0 asks for the total only, like _summary=count
  if (count === 0 && !request.summary) request.summary = 'count';
  const totalMode = request.total === 'none' ? 'none' : request.total || request.summary === 'count' ? 'count' : 'cheap';
  // an included resource the caller may not read is left out, and not followed by :iterate
  const page = await repo.search(request, types, request.summary === 'count' ? 0 : count, totalMode, (type) => may(ctx, type, 'r'));
  // and an included resource outside the patient's record is left out too
  // (and the other patients a compartment holds through Patient.link are not that patient's record)
  if (ctx.state.principal.kind === 'token' && ctx.state.principal.patient) {
    page.included = page.included.filter((r) => mayRead(ctx, JSON.parse(r.json)));
    if (types.length > 1) page.matches = page.matches.filter((r) => mayRead(ctx, JSON.parse(r.json)));
  }

  const found = [...page.matches, ...page.included].map((r) => seenJson(r.resourceType, r.id, r.json, config.baseUrl));
  noteAccess(ctx, { ...kind, action: 'E', seen: found, types, query: `/${path}${query.size ? `?${query}` : ''}` });

  const base = `${config.baseUrl}/${path}`;
  const link: Bundle['link'] = [{ relation: 'self', url: pageUrl(base, query, request.offset) }];
  if (request.summary !== 'count') {
    link.push({ relation: 'first', url: pageUrl(base, query, 0) });
    if (request.offset > 0) link.push({ relation: 'previous', url: pageUrl(base, query, Math.max(0, request.offset - count)) });
    if (page.hasNext && count > 0) link.push({ relation: 'next', url: pageUrl(base, query, request.offset + count) });
  }
  // Entries are spliced in as the JSON text the database gave: no parse and stringify per resource
  // unless _summary or _elements asks for a subset.
  const subset = request.summary !== undefined && request.summary !== 'false' ? true : !!request.elements?.length;
  const resourceJson = (r: FoundResource) => (subset ? JSON.stringify(summarize(JSON.parse(r.json), request.summary, request.elements)) : r.json);
  const entryJson = (r: FoundResource, mode: 'match' | 'include') =>
    `{"fullUrl":${JSON.stringify(`${config.baseUrl}/${r.resourceType}/${r.id}`)},"resource":${resourceJson(r)},"search":{"mode":"${mode}"}}`;
  const entries = [...page.matches.map((r) => entryJson(r, 'match')), ...page.included.map((r) => entryJson(r, 'include'))];
  if (request.warnings.length) {
    const warning: BundleEntry = { resource: outcome(request.warnings.map((w) => issue('warning', 'not-supported', w))), search: { mode: 'outcome' } };
    entries.push(JSON.stringify(warning));
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(page.total !== undefined ? { total: page.total } : {}),
    link,
  };
  const head = JSON.stringify(bundle);
  const text = entries.length ? `${head.slice(0, -1)},"entry":[${entries.join(',')}]}` : head;
  ctx.type = `${ctx.state.responseType}; charset=utf-8`;
  ctx.body = ctx.query._pretty === 'true' ? JSON.stringify(JSON.parse(text), null, 2) : text;
}

function pageUrl(base: string, query: URLSearchParams, offset: number): string {
  const q = new URLSearchParams(query);
  q.delete('_offset');
  if (offset > 0) q.set('_offset', String(offset));
  const text = q.toString();
  return text ? `${base}?${text}` : base;
}
