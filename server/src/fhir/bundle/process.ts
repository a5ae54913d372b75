// Batch and transaction Bundles (FHIR R4 3.1.0.11). A transaction is one database transaction:
// DELETE, then POST, then PUT/PATCH, then GET; fullUrls and conditional references are resolved
// before anything is written; any failing entry rolls everything back and is named in the outcome.
// A batch runs each entry on its own and reports each entry's outcome.
import { newResourceId } from '../../repo/index.js';
import type { Bundle, BundleEntry, BundleEntryResponse, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { TransactionOps } from '../../repo/index.js';
import { parseSearch, type Criterion } from '../../search/index.js';
import type { AppContext } from '../context.js';
import { etag, parseVersion } from '../http.js';
import { criteriaFrom } from '../interactions/write-input.js';
import { badRequest, notFound, outcome, preconditionFailed, FhirError } from '../outcome.js';
import { applyFhirPathPatch, applyJsonPatch } from '../patch.js';
import { assertResourceOfType, assertValid } from '../validate.js';
import { atEntry, entryError, type Entry } from './entries.js';
import { rewriteReferences } from './references.js';
import { resolveClaimedProfiles, withClaimedProfilesResolved } from '../../profiles/index.js';

const STATUS_TEXT: Record<number, string> = { 200: '200 OK', 201: '201 Created', 204: '204 No Content', 304: '304 Not Modified' };
const statusLine = (status: number) => STATUS_TEXT[status] ?? String(status);

export interface ProcessOptions {
  /** Prefer: return=minimal leaves resources out of the response entries. */
  minimal: boolean;
  /** Throws when the caller may not do what the entry asks (checked before anything is written). */
  authorize(e: Entry): void;
  /** Throws when the caller may not search type (a conditional reference Type?criteria searches it). */
  authorizeSearch(type: string): void;
  /** Criteria every match of a search or conditional entry of type must meet too (the caller's patient compartment). */
  bounds(type: string): Criterion[];
  /** Throws when the caller may not read this resource (a read entry; ops is the Bundle's transaction). */
  checkRead(resource: Resource, ops: TransactionOps): Promise<void>;
}

export async function processTransaction(app: AppContext, parsed: (Entry | FhirError)[], options: ProcessOptions): Promise<Bundle> {
  const failed = parsed.find((e) => e instanceof FhirError);
  if (failed) throw failed;
  const original = parsed as Entry[];
  // everything that can be checked without the database is checked first
  for (const e of original) atEntry(e, () => options.authorize(e));
  await resolveClaimedProfiles(app, original.map((e) => e.resource));
  for (const e of original) atEntry(e, () => checkBody(e));
  // (profiles that a PATCH entry's result claims are resolved when met, and the transaction run again)
  const responses = await withClaimedProfilesResolved(app, () => app.repo.inTransaction(async (ops) => {
    // a fresh copy per attempt: a transaction that lost a race runs again from the start
    const entries = original.map((e) => ({ ...e, resource: e.resource && structuredClone(e.resource) }));
    const out = new Map<number, BundleEntry>();
    const ids = new Map<string, string>(); // fullUrl -> Type/id
    const byMethod = (...methods: string[]) => entries.filter((e) => methods.includes(e.method));

    for (const e of byMethod('DELETE')) out.set(e.index, await atEntry(e, () => deleteEntry(ops, e, options)));

    // ids of everything written, known before any reference is rewritten
    const targets = new Map<Entry, { id: string; existing?: Resource }>();
    const posts = byMethod('POST');
    const conditional = posts.filter((e) => e.ifNoneExist);
    // every ifNoneExist of the Bundle in one round of locks and one query
    const matched = await matchAll(ops, conditional, options);
    const existing = await ops.readMany(
      conditional.filter((e) => matched.get(e)!.length === 1).map((e) => ({ resourceType: e.type, id: matched.get(e)![0] })),
    );
    for (const e of posts) {
      atEntry(e, () => {
        const matches = matched.get(e) ?? [];
        if (matches.length > 1) throw preconditionFailed(`ifNoneExist matched ${matches.length} or more ${e.type} resources`);
        const found = matches.length === 1 ? existing.get(`${e.type}/${matches[0]}`) : undefined;
        const id = found?.id ?? newResourceId();
        targets.set(e, { id, existing: found });
        if (e.fullUrl) ids.set(e.fullUrl, `${e.type}/${id}`);
      });
    }
    for (const e of byMethod('PUT', 'PATCH')) {
      await atEntry(e, async () => {
        let id = e.id;
        if (!id) {
          const matches = await ops.match(e.type, e.query!, options.bounds(e.type));
          if (matches.length > 1) throw preconditionFailed(`The criteria matched ${matches.length} or more ${e.type} resources`);
          if (matches.length === 0 && e.method === 'PATCH') throw notFound(`No ${e.type} matches the criteria`);
          id = matches[0] ?? e.resource?.id ?? newResourceId();
        }
        targets.set(e, { id });
        if (e.fullUrl) ids.set(e.fullUrl, `${e.type}/${id}`);
      });
    }

    const resolved = new Map<string, Promise<string>>(); // one lookup per distinct conditional reference
    const resolveConditional = (type: string, query: URLSearchParams) => {
      options.authorizeSearch(type);
      const key = `${type}?${query}`;
      if (!resolved.has(key)) {
        resolved.set(
          key,
          ops.match(type, query, options.bounds(type)).then((matches) => {
            if (matches.length === 0) throw badRequest(`Conditional reference ${key} matches no resource`);
            if (matches.length > 1) throw preconditionFailed(`Conditional reference ${key} matches more than one resource`);
            return `${type}/${matches[0]}`;
          }),
        );
      }
      return resolved.get(key)!;
    };
    // (the resources were validated before: rewriting only replaces reference strings)
    for (const e of byMethod('POST', 'PUT')) await atEntry(e, () => rewriteReferences(e.resource!, ids, resolveConditional));

    const fresh = posts.filter((e) => !targets.get(e)!.existing);
    const created = await ops.createMany(fresh.map((e) => ({ resource: e.resource!, id: targets.get(e)!.id })));
    fresh.forEach((e, i) => out.set(e.index, written(app, created[i], 201, options, e.warnings)));
    for (const e of posts) {
      const { existing } = targets.get(e)!;
      if (existing) out.set(e.index, written(app, existing, 200, options));
    }
    for (const e of byMethod('PUT', 'PATCH')) {
      out.set(e.index, await atEntry(e, async () => {
        const { id } = targets.get(e)!;
        const ifMatch = parseVersion(e.ifMatch, 'ifMatch');
        if (e.method === 'PUT') {
          if (e.id && e.resource!.id !== e.id) throw badRequest(`The resource's id "${e.resource!.id ?? ''}" does not match "${e.id}" from request.url`);
          const result = await ops.update(e.type, id, { ...e.resource!, id }, ifMatch);
          return written(app, result.resource, result.created ? 201 : 200, options, e.warnings);
        }
        const result = await ops.patch(e.type, id, patcher(e), ifMatch);
        return written(app, result.resource, 200, options);
      }));
    }
    for (const e of byMethod('GET', 'HEAD')) out.set(e.index, await atEntry(e, () => readEntry(app, ops, e, options)));
    return entries.map((e) => out.get(e.index)!);
  }));
  return { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
}

export async function processBatch(app: AppContext, entries: (Entry | FhirError)[], options: ProcessOptions): Promise<Bundle> {
  const out: BundleEntry[] = [];
  for (const e of entries) {
    if (e instanceof FhirError) {
      out.push({ response: { status: String(e.status), outcome: e.outcome } });
      continue;
    }
    try {
      // each entry is a transaction of one: it commits or fails alone (no fullUrl rewriting in a batch)
      const [response] = (await processTransaction(app, [{ ...e, fullUrl: undefined }], options)).entry!;
      out.push(response);
    } catch (err) {
      const named = entryError(e, err);
      if (!(named instanceof FhirError) || named.status >= 500) throw err;
      out.push({ response: { status: String(named.status), outcome: named.outcome } });
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}

/** The matches of each entry's ifNoneExist; a parse error is reported as that entry's. */
async function matchAll(ops: TransactionOps, entries: Entry[], options: ProcessOptions): Promise<Map<Entry, string[]>> {
  const parsed = entries.map((e) => atEntry(e, () => ({ resourceType: e.type, criteria: ops.criteria(e.type, criteriaFrom(e.ifNoneExist!)), bounds: options.bounds(e.type) })));
  const results = await ops.matchMany(parsed);
  return new Map(entries.map((e, i) => [e, results[i]]));
}

function checkBody(e: Entry): void {
  if (e.method === 'POST' || e.method === 'PUT') {
    assertResourceOfType(e.resource, e.type);
    e.warnings = assertValid(e.resource!);
  }
}

async function deleteEntry(ops: TransactionOps, e: Entry, options: ProcessOptions): Promise<BundleEntry> {
  const ifMatch = parseVersion(e.ifMatch, 'ifMatch');
  let id = e.id;
  if (!id) {
    const matches = await ops.match(e.type, e.query!, options.bounds(e.type));
    if (matches.length > 1) throw preconditionFailed(`The criteria matched ${matches.length} or more ${e.type} resources`);
    id = matches[0];
  }
  if (!id) return { response: { status: statusLine(204) } };
  try {
    const result = await ops.delete(e.type, id, ifMatch);
    return { response: { status: statusLine(204), ...(result.versionId ? { etag: etag(result.versionId) } : {}) } };
  } catch (err) {
    if (err instanceof FhirError && err.status === 404 && ifMatch === undefined) return { response: { status: statusLine(204) } };
    throw err;
  }
}

async function readEntry(app: AppContext, ops: TransactionOps, e: Entry, options: ProcessOptions): Promise<BundleEntry> {
  if (e.query || !e.id) {
    const request = parseSearch(e.type, e.query ?? new URLSearchParams(), { strict: false, baseUrl: app.config.baseUrl });
    request.criteria.push(...options.bounds(e.type));
    const page = await ops.search(request, Math.min(request.count ?? 20, app.config.maxPageSize));
    const searchset: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(page.total !== undefined ? { total: page.total } : {}),
      entry: [
        ...page.matches.map((r) => ({ fullUrl: `${app.config.baseUrl}/${r.resourceType}/${r.id}`, resource: JSON.parse(r.json), search: { mode: 'match' as const } })),
        ...page.included.map((r) => ({ fullUrl: `${app.config.baseUrl}/${r.resourceType}/${r.id}`, resource: JSON.parse(r.json), search: { mode: 'include' as const } })),
      ],
    };
    return { resource: searchset, response: { status: statusLine(200) } };
  }
  const resource = await ops.read(e.type, e.id);
  await options.checkRead(resource, ops);
  if (e.versionId && e.versionId !== resource.meta?.versionId) {
    throw notFound(`Only the current version can be read inside a transaction; ${e.type}/${e.id} is at ${resource.meta?.versionId}`);
  }
  const response: BundleEntryResponse = { status: statusLine(200), etag: etag(resource.meta!.versionId!), lastModified: resource.meta!.lastUpdated };
  const ifNoneMatch = e.ifNoneMatch && parseVersion(e.ifNoneMatch, 'ifNoneMatch');
  const modifiedSince = e.ifModifiedSince ? Date.parse(e.ifModifiedSince) : NaN;
  const lastUpdated = Date.parse(resource.meta!.lastUpdated!);
  if ((ifNoneMatch && String(ifNoneMatch) === resource.meta!.versionId) || (!Number.isNaN(modifiedSince) && lastUpdated <= modifiedSince)) {
    return { response: { ...response, status: statusLine(304) } };
  }
  return { fullUrl: `${app.config.baseUrl}/${e.type}/${e.id}`, ...(e.method === 'GET' ? { resource } : {}), response };
}

function written(app: AppContext, resource: Resource, status: number, options: ProcessOptions, warnings: OperationOutcomeIssue[] = []): BundleEntry {
  const location = `${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  return {
    fullUrl: `${app.config.baseUrl}/${resource.resourceType}/${resource.id}`,
    ...(options.minimal ? {} : { resource }),
    response: { status: statusLine(status), location, etag: etag(resource.meta!.versionId!), lastModified: resource.meta!.lastUpdated, ...(warnings.length ? { outcome: outcome(warnings) } : {}) },
  };
}

function patcher(e: Entry): (current: Resource) => Resource {
  const body = e.resource!;
  if (body.resourceType === 'Parameters') return (current) => validated(applyFhirPathPatch(current, body));
  if (body.resourceType === 'Binary' && body.contentType === 'application/json-patch+json' && body.data) {
    let ops: unknown;
    try {
      ops = JSON.parse(Buffer.from(body.data, 'base64').toString('utf8'));
    } catch {
      throw badRequest('The Binary of a PATCH entry does not hold JSON Patch');
    }
    return (current) => validated(applyJsonPatch(current, ops));
  }
  throw badRequest('A PATCH entry holds Parameters (FHIRPath Patch) or a Binary of application/json-patch+json');
}

function validated(resource: Resource): Resource {
  assertValid(resource);
  return resource;
}
