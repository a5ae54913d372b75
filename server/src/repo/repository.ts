// Reads and writes resource rows. Every interaction is one database transaction; writes that lose a
// race with another writer of the same resource are retried from the start.
import { newResourceId } from './ids.js';
import type { Resource } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.js';
import { badRequest, gone, notFound, preconditionFailed } from '../fhir/outcome.js';
import { criteriaKey, needsTerminology, parseCriteria, SqlBuilder, type Criterion, type SearchRequest } from '../search/index.js';
import { resolveCodes, type Terminology } from './codes.js';
import { inReadingOrder } from './present.js';
import { RESOURCE_JSON, runSearch, type SearchPage } from './search.js';
import { ConcurrentWriteError, createMany, writeVersion, type RecordingTx, type WriteMethod, type Written } from './write.js';

/**
 * Called in a write's transaction, after its writes and before it commits, with what it wrote: the
 * audit record of a change commits with the change or not at all, and a hook that throws (an
 * authorization check of what was written) rolls the whole write back.
 */
export type BeforeCommit = (tx: Appender, written: Written[]) => Promise<void>;

/** Where a hook adds to the write's transaction: resources it makes (AuditEvents), rows of its own. */
export interface Appender {
  append(resources: Resource[]): Promise<void>;
  run(sql: string, params: unknown[]): Promise<void>;
}

export interface WriteResult {
  resource: Resource;
  /** True when the interaction created the resource (201), false when it updated it (200). */
  created: boolean;
}

export interface ConditionalCreateResult extends WriteResult {
  /** True when If-None-Exist matched an existing resource and nothing was written. */
  matched: boolean;
}

export interface DeleteResult {
  /** The version written by the delete; undefined when the resource was already deleted. */
  versionId?: number;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  /** Only versions written at or after this instant. */
  since?: Date;
  /** Only versions that were current at some point in [start, end). */
  at?: { start: Date; end: Date };
  count: number;
  /** Paging cursor: only versions older than this history sequence number. */
  before?: string;
  /** Leave out versions of this type (system history). */
  excludeType?: string;
}

export interface HistoryEntry {
  seq: string;
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: WriteMethod;
  resource?: Resource;
}

interface CurrentRow {
  version_id: number;
  deleted: boolean;
  content: Resource | null;
}

/** Resolves the terminology modifiers of criteria through one connection (codes.ts); warnings: lenient handling. */
type ResolveCodes = (criteria: Criterion[], warnings?: string[]) => Promise<Criterion[]>;

const RETRYABLE_PG_CODES = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 20;

export class Repository {
  /**
   * baseUrl: this server's FHIR base, so that absolute references to it index as local ones.
   * terminology: what the terminology modifiers of criteria (:in, :below, ...) are resolved with.
   */
  constructor(
    private readonly db: Db,
    private readonly baseUrl: string,
    private readonly hooks: BeforeCommit[] = [],
    private readonly terminology?: Terminology,
  ) {}

  /** The same repository, with hook called before every write transaction commits (one request's view). */
  withHook(hook: BeforeCommit): Repository {
    return new Repository(this.db, this.baseUrl, [...this.hooks, hook], this.terminology);
  }

  private codes(db: Queryable): ResolveCodes {
    return (criteria, warnings) => resolveCodes(this.terminology, db, this.baseUrl, criteria, warnings);
  }

  /** Stores new resources the server makes itself (the AuditEvents of reads), in a transaction of their own. */
  async append(resources: Resource[]): Promise<void> {
    await this.db.transaction((tx) => new TransactionOps(tx, this.baseUrl, this.terminology).append(resources));
  }

  read(resourceType: string, id: string): Promise<Resource> {
    return readCurrent(this.db, resourceType, id);
  }

  /** Whether the current version of the resource matches the criterion (a granular scope's query). */
  matches(resourceType: string, id: string, criterion: Criterion): Promise<boolean> {
    return matchesIn(this.db, resourceType, id, criterion, this.codes(this.db));
  }

  /** The current version as stored JSON text (resourceType first), for a read that sends it as it is. */
  async readJson(resourceType: string, id: string): Promise<{ json: string; versionId: number; lastUpdated: Date }> {
    const { rows } = await this.db.query<{ version_id: number; deleted: boolean; json: string | null; last_updated: Date }>(
      `SELECT r.version_id, r.deleted, r.last_updated, CASE WHEN r.deleted THEN NULL ELSE ${RESOURCE_JSON} END AS json
       FROM resources r WHERE r.resource_type = $1 AND r.id = $2`,
      [resourceType, id],
      'meridian_read_json',
    );
    const row = rows[0];
    if (!row) throw notFound(`${resourceType}/${id} is not known`);
    if (row.deleted || row.json === null) throw gone(`${resourceType}/${id} was deleted`);
    return { json: row.json, versionId: row.version_id, lastUpdated: new Date(row.last_updated) };
  }

  async vread(resourceType: string, id: string, versionId: string): Promise<Resource> {
    const version = /^[1-9][0-9]{0,8}$/.test(versionId) ? Number(versionId) : undefined;
    const { rows } = version
      ? await this.db.query<{ method: string; content: Resource | null }>(
          'SELECT method, content FROM resource_history WHERE resource_type = $1 AND id = $2 AND version_id = $3',
          [resourceType, id, version],
        )
      : { rows: [] };
    const row = rows[0];
    if (!row) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
    if (!row.content) throw gone(`Version ${versionId} of ${resourceType}/${id} is a deletion`);
    return inReadingOrder(row.content);
  }

  /**
   * Create with a server-assigned id; with ifNoneExist, only when no resource matches it. bounds (here
   * and in the conditional interactions below): criteria every match must meet as well, e.g. the
   * caller's patient compartment, so that a conditional write sees only what its caller may.
   */
  async create(resource: Resource, ifNoneExist?: URLSearchParams, bounds: Criterion[] = []): Promise<ConditionalCreateResult> {
    if (!ifNoneExist && !this.hooks.length) {
      const stored = await writeVersion(this.db, this.baseUrl, { resourceType: resource.resourceType, id: newResourceId(), versionId: 1, method: 'POST', resource });
      return { resource: stored!, created: true, matched: false };
    }
    if (!ifNoneExist) return this.createWithHooks(resource);
    let criteria = ifNoneExist ? parseCriteria(resource.resourceType, ifNoneExist, this.baseUrl) : [];
    if (needsTerminology(criteria)) criteria = await this.codes(this.db)(criteria);
    return this.transaction(async (tx) => {
      const matches = ifNoneExist ? await lockAndMatch(tx, resource.resourceType, criteria, bounds, this.codes(tx)) : [];
      if (matches.length > 1) {
        throw preconditionFailed(`If-None-Exist matched ${matches.length} or more ${resource.resourceType} resources`);
      }
      if (matches.length === 1) {
        return { resource: await readCurrent(tx, resource.resourceType, matches[0]), created: false, matched: true };
      }
      const stored = await writeVersion(tx, this.baseUrl, { resourceType: resource.resourceType, id: newResourceId(), versionId: 1, method: 'POST', resource });
      return { resource: stored!, created: true, matched: false };
    });
  }

  /**
   * A plain create and what the hooks add (its AuditEvent) in one statement: everything a hook needs
   * is known before the write (a new id, version 1), so no transaction of several round trips.
   */
  private async createWithHooks(resource: Resource): Promise<ConditionalCreateResult> {
    const id = newResourceId();
    const added: Resource[] = [];
    const statements: [string, unknown[]][] = [];
    const collect: Appender = { append: async (resources) => void added.push(...resources), run: async (sql, params) => void statements.push([sql, params]) };
    const written: Written[] = [{ resourceType: resource.resourceType, id, versionId: 1, method: 'POST', resource: { ...resource, id } as Resource }];
    for (const hook of this.hooks) await hook(collect, written);
    const items = [{ resource, id }, ...added.map((r) => ({ resource: r, id: newResourceId() }))];
    if (!statements.length) {
      const [stored] = await createMany(this.db, this.baseUrl, items);
      return { resource: stored, created: true, matched: false };
    }
    // a hook's own rows (a Subscription's owner) need a transaction of a few statements
    const [stored] = await this.db.transaction(async (tx) => {
      const created = await createMany(tx, this.baseUrl, items);
      for (const [sql, params] of statements) await tx.query(sql, params);
      return created;
    });
    return { resource: stored, created: true, matched: false };
  }

  /** Update (or create, when the id is new) the resource with the given id. */
  update(resourceType: string, id: string, resource: Resource, ifMatch?: number): Promise<WriteResult> {
    return this.transaction((tx) => updateIn(tx, this.baseUrl, resourceType, id, () => resource, 'PUT', ifMatch));
  }

  /** PUT /Type?criteria: create on no match, update the one match, 412 on several. */
  conditionalUpdate(resourceType: string, query: URLSearchParams, resource: Resource, ifMatch?: number, bounds: Criterion[] = []): Promise<WriteResult> {
    const criteria = parseCriteria(resourceType, query, this.baseUrl);
    return this.transaction(async (tx) => {
      const matches = await lockAndMatch(tx, resourceType, criteria, bounds, this.codes(tx));
      if (matches.length > 1) {
        throw preconditionFailed(`The criteria matched ${matches.length} or more ${resourceType} resources`);
      }
      if (matches.length === 1 && resource.id && resource.id !== matches[0]) {
        throw badRequest(`The resource's id "${resource.id}" is not the id of the matching resource`, `${resourceType}.id`);
      }
      const id = matches[0] ?? resource.id ?? newResourceId();
      return updateIn(tx, this.baseUrl, resourceType, id, () => resource, 'PUT', ifMatch);
    });
  }

  /** Applies a patch to the current version; apply returns the new, validated resource. */
  patch(resourceType: string, id: string, apply: (current: Resource) => Resource, ifMatch?: number): Promise<WriteResult> {
    return this.transaction((tx) => updateIn(tx, this.baseUrl, resourceType, id, requireCurrent(resourceType, id, apply), 'PATCH', ifMatch));
  }

  /** PATCH /Type?criteria: patch the one match, 404 on none, 412 on several. */
  conditionalPatch(resourceType: string, query: URLSearchParams, apply: (current: Resource) => Resource, ifMatch?: number, bounds: Criterion[] = []): Promise<WriteResult> {
    const criteria = parseCriteria(resourceType, query, this.baseUrl);
    return this.transaction(async (tx) => {
      const matches = await lockAndMatch(tx, resourceType, criteria, bounds, this.codes(tx));
      if (matches.length > 1) throw preconditionFailed(`The criteria matched ${matches.length} or more ${resourceType} resources`);
      if (matches.length === 0) throw notFound(`No ${resourceType} matches the criteria`);
      return updateIn(tx, this.baseUrl, resourceType, matches[0], requireCurrent(resourceType, matches[0], apply), 'PATCH', ifMatch);
    });
  }

  delete(resourceType: string, id: string, ifMatch?: number): Promise<DeleteResult> {
    return this.transaction((tx) => deleteIn(tx, this.baseUrl, resourceType, id, ifMatch));
  }

  /** DELETE /Type?criteria: deletes the one match; 412 on several. Returns how many were deleted. */
  conditionalDelete(resourceType: string, query: URLSearchParams, bounds: Criterion[] = []): Promise<number> {
    const criteria = parseCriteria(resourceType, query, this.baseUrl);
    return this.transaction(async (tx) => {
      const matches = await lockAndMatch(tx, resourceType, criteria, bounds, this.codes(tx));
      if (matches.length > 1) throw preconditionFailed(`The criteria matched ${matches.length} or more ${resourceType} resources`);
      if (matches.length === 0) return 0;
      await deleteIn(tx, this.baseUrl, resourceType, matches[0]);
      return 1;
    });
  }

  /**
   * One page of a parsed search over the given types (one type, or a compartment's), with includes;
   * visible says which types of included resources the caller may see (others are not followed either).
   */
  search(request: SearchRequest, types: string[], count: number, total: 'count' | 'cheap' | 'none', visible?: (resourceType: string) => boolean): Promise<SearchPage> {
    if (!needsTerminology(request.criteria)) return runSearch(this.db, request, types, count, total, visible);
    return searchWithCodes(this.codes(this.db), request, (resolved) => runSearch(this.db, resolved, types, count, total, visible));
  }

  /** History newest first, one page of `count` entries plus whether there is a next page. */
  async history(q: HistoryQuery): Promise<{ entries: HistoryEntry[]; nextBefore?: string }> {
    const params: unknown[] = [];
    const bind = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (q.resourceType) where.push(`h.resource_type = ${bind(q.resourceType)}`);
    if (q.excludeType) where.push(`h.resource_type <> ${bind(q.excludeType)}`);
    if (q.id) where.push(`h.id = ${bind(q.id)}`);
    if (q.since) where.push(`h.last_updated >= ${bind(q.since.toISOString())}::timestamptz`);
    if (q.before) where.push(`h.seq < ${bind(q.before)}::bigint`);
    if (q.at) {
      where.push(`h.last_updated < ${bind(q.at.end.toISOString())}::timestamptz`);
      where.push(
        `NOT EXISTS (SELECT 1 FROM resource_history n WHERE n.resource_type = h.resource_type AND n.id = h.id ` +
          `AND n.version_id = h.version_id + 1 AND n.last_updated <= ${bind(q.at.start.toISOString())}::timestamptz)`,
      );
    }
    const { rows } = await this.db.query<{
      seq: string;
      resource_type: string;
      id: string;
      version_id: number;
      last_updated: Date;
      method: WriteMethod;
      content: Resource | null;
    }>(
      `SELECT h.seq::text AS seq, h.resource_type, h.id, h.version_id, h.last_updated, h.method, h.content
       FROM resource_history h ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY h.seq DESC LIMIT ${bind(q.count + 1)}`,
      params,
    );
    const entries = rows.slice(0, q.count).map((r) => ({
      seq: r.seq,
      resourceType: r.resource_type,
      id: r.id,
      versionId: r.version_id,
      lastUpdated: new Date(r.last_updated).toISOString(),
      method: r.method,
      resource: r.content ? inReadingOrder(r.content) : undefined,
    }));
    return { entries, nextBefore: rows.length > q.count ? entries[entries.length - 1].seq : undefined };
  }

  /**
   * Runs fn with operations that all share one database transaction (a transaction Bundle): it
   * commits when fn resolves, rolls back when it throws, and starts again if it lost a race.
   */
  inTransaction<T>(fn: (tx: TransactionOps) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(new TransactionOps(tx, this.baseUrl, this.terminology)));
  }

  /**
   * Runs fn in a transaction, again from the start when it lost a race with another writer; with an
   * hooks, they see what fn wrote before it commits.
   */
  private async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const hooks = this.hooks;
    const run = !hooks.length
      ? fn
      : async (raw: Queryable) => {
          const tx: RecordingTx = { query: raw.query.bind(raw), exec: raw.exec.bind(raw), written: [] };
          const result = await fn(tx);
          if (tx.written!.length) for (const hook of hooks) await hook(new TransactionOps(raw, this.baseUrl, this.terminology), tx.written!);
          return result;
        };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(run);
      } catch (err) {
        const retryable = err instanceof ConcurrentWriteError || RETRYABLE_PG_CODES.has((err as { code?: string }).code ?? '');
        if (!retryable || attempt >= MAX_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }
}

/** Interactions inside one open transaction; see Repository.inTransaction. */
export class TransactionOps {
  private readonly codes: ResolveCodes;

  constructor(
    private readonly tx: Queryable,
    private readonly baseUrl: string,
    terminology?: Terminology,
  ) {
    this.codes = (criteria, warnings) => resolveCodes(terminology, tx, baseUrl, criteria, warnings);
  }

  read(resourceType: string, id: string): Promise<Resource> {
    return readCurrent(this.tx, resourceType, id);
  }

  /** Current versions of many resources in one query, by "Type/id" (missing or deleted ones left out). */
  async readMany(refs: { resourceType: string; id: string }[]): Promise<Map<string, Resource>> {
    const found = new Map<string, Resource>();
    if (!refs.length) return found;
    const { rows } = await this.tx.query<{ content: Resource }>(
      `SELECT r.content FROM resources r WHERE NOT r.deleted AND (r.resource_type, r.id) IN
       (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [refs.map((r) => r.resourceType), refs.map((r) => r.id)],
    );
    for (const row of rows) found.set(`${row.content.resourceType}/${row.content.id}`, inReadingOrder(row.content));
    return found;
  }

  /** A statement of a hook's own, in this transaction. */
  async run(sql: string, params: unknown[]): Promise<void> {
    await this.tx.query(sql, params);
  }

  /** Conditional criteria parsed strictly (a 400 names what is wrong). */
  criteria(resourceType: string, query: URLSearchParams): Criterion[] {
    return parseCriteria(resourceType, query, this.baseUrl);
  }

  /** Ids of current resources matching criteria and bounds (at most two: enough to tell one from many). */
  match(resourceType: string, query: URLSearchParams, bounds: Criterion[] = []): Promise<string[]> {
    return lockAndMatch(this.tx, resourceType, parseCriteria(resourceType, query, this.baseUrl), bounds, this.codes);
  }

  /** Creates many new resources with a few statements (their ids must be new). */
  createMany(items: { resource: Resource; id: string }[]): Promise<Resource[]> {
    return createMany(this.tx, this.baseUrl, items);
  }

  /**
   * Creates new resources with server-minted ids: a few (AuditEvents) one prepared statement each,
   * which Postgres plans once per connection; many, with createMany's few large statements.
   */
  async append(resources: Resource[]): Promise<void> {
    if (resources.length > 8) {
      await createMany(this.tx, this.baseUrl, resources.map((resource) => ({ resource, id: newResourceId() })));
      return;
    }
    for (const resource of resources) {
      await writeVersion(this.tx, this.baseUrl, { resourceType: resource.resourceType, id: newResourceId(), versionId: 1, method: 'POST', resource });
    }
  }

  /**
   * Matches of many criteria at once: their advisory locks in one statement (in a fixed order, so
   * concurrent Bundles cannot deadlock), then one query. Each result holds at most two ids.
   */
  async matchMany(parsed: { resourceType: string; criteria: Criterion[]; bounds?: Criterion[] }[]): Promise<string[][]> {
    if (!parsed.length) return [];
    const keys = [...new Set(parsed.map((p) => criteriaKey(p.resourceType, p.criteria)))].sort();
    await this.tx.query('SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) WITH ORDINALITY AS l(k, n)', [keys]);
    // terminology modifiers resolved through the transaction (after the locks: on the criteria as written)
    parsed = [...parsed];
    for (const [i, p] of parsed.entries()) {
      const all = [...p.criteria, ...(p.bounds ?? [])];
      if (needsTerminology(all)) parsed[i] = { resourceType: p.resourceType, criteria: await this.codes(all) };
    }
    const results: string[][] = parsed.map(() => []);
    for (let start = 0; start < parsed.length; start += 200) {
      const b = new SqlBuilder();
      const parts = parsed.slice(start, start + 200).map(
        (p, i) =>
          `(SELECT ${start + i} AS i, r.id FROM resources r WHERE r.resource_type = ${b.bind(p.resourceType)} AND NOT r.deleted ` +
          `AND ${b.where([...p.criteria, ...(p.bounds ?? [])], { type: 'r.resource_type', id: 'r.id', row: 'r' })} LIMIT 2)`,
      );
      const { rows } = await this.tx.query<{ i: number; id: string }>(parts.join(' UNION ALL '), b.params);
      for (const row of rows) results[row.i].push(row.id);
    }
    return results;
  }

  update(resourceType: string, id: string, resource: Resource, ifMatch?: number): Promise<WriteResult> {
    return updateIn(this.tx, this.baseUrl, resourceType, id, () => resource, 'PUT', ifMatch);
  }

  patch(resourceType: string, id: string, apply: (current: Resource) => Resource, ifMatch?: number): Promise<WriteResult> {
    return updateIn(this.tx, this.baseUrl, resourceType, id, requireCurrent(resourceType, id, apply), 'PATCH', ifMatch);
  }

  delete(resourceType: string, id: string, ifMatch?: number): Promise<DeleteResult> {
    return deleteIn(this.tx, this.baseUrl, resourceType, id, ifMatch);
  }

  search(request: SearchRequest, count: number): Promise<SearchPage> {
    if (!needsTerminology(request.criteria)) return runSearch(this.tx, request, [request.resourceType], count, 'cheap');
    return searchWithCodes(this.codes, request, (resolved) => runSearch(this.tx, resolved, [request.resourceType], count, 'cheap'));
  }

  /** Repository.matches, inside this transaction (its own connection: PGlite has only one). */
  matches(resourceType: string, id: string, criterion: Criterion): Promise<boolean> {
    return matchesIn(this.tx, resourceType, id, criterion, this.codes);
  }
}

/** A search whose terminology modifiers are resolved first (an unknown ValueSet a warning of the request under lenient handling). */
async function searchWithCodes(codes: ResolveCodes, request: SearchRequest, run: (request: SearchRequest) => Promise<SearchPage>): Promise<SearchPage> {
  const criteria = await codes(request.criteria, request.lenient ? request.warnings : undefined);
  return run({ ...request, criteria });
}

async function matchesIn(db: Queryable, resourceType: string, id: string, criterion: Criterion, codes: ResolveCodes): Promise<boolean> {
  if (needsTerminology([criterion])) [criterion] = await codes([criterion]);
  const b = new SqlBuilder();
  const type = b.bind(resourceType);
  const rid = b.bind(id);
  const where = b.where([criterion], { type: 'r.resource_type', id: 'r.id', row: 'r' });
  const { rows } = await db.query(`SELECT 1 FROM resources r WHERE r.resource_type = ${type} AND r.id = ${rid} AND NOT r.deleted AND ${where}`, b.params);
  return rows.length > 0;
}

function currentOrThrow(resourceType: string, id: string, row: CurrentRow | undefined): Resource {
  if (!row) throw notFound(`${resourceType}/${id} is not known`);
  if (row.deleted || !row.content) throw gone(`${resourceType}/${id} was deleted`);
  return inReadingOrder(row.content);
}

async function readCurrent(tx: Queryable, resourceType: string, id: string): Promise<Resource> {
  const { rows } = await tx.query<CurrentRow>(
    'SELECT version_id, deleted, content FROM resources WHERE resource_type = $1 AND id = $2',
    [resourceType, id],
    'meridian_read',
  );
  return currentOrThrow(resourceType, id, rows[0]);
}

async function lockCurrent(tx: Queryable, resourceType: string, id: string): Promise<CurrentRow | undefined> {
  const { rows } = await tx.query<CurrentRow>(
    'SELECT version_id, deleted, content FROM resources WHERE resource_type = $1 AND id = $2 FOR UPDATE',
    [resourceType, id],
    'meridian_lock_current',
  );
  return rows[0];
}

/**
 * Serializes conditional interactions with the same criteria (an advisory lock on their canonical
 * text, held to commit), then finds up to two matches. Two identical If-None-Exist creates can
 * therefore never both see "no match".
 */
async function lockAndMatch(tx: Queryable, resourceType: string, criteria: Criterion[], bounds: Criterion[], codes: ResolveCodes): Promise<string[]> {
  // locked on the criteria alone: the same criteria serialize whatever the callers' bounds
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [criteriaKey(resourceType, criteria)]);
  let all = [...criteria, ...bounds];
  if (needsTerminology(all)) all = await codes(all);
  const b = new SqlBuilder();
  const type = b.bind(resourceType);
  const where = b.where(all, { type: 'r.resource_type', id: 'r.id', row: 'r' });
  const { rows } = await tx.query<{ id: string }>(
    `SELECT r.id FROM resources r WHERE r.resource_type = ${type} AND NOT r.deleted AND ${where} LIMIT 2`,
    b.params,
  );
  return rows.map((r) => r.id);
}

function checkIfMatch(resourceType: string, id: string, current: CurrentRow | undefined, ifMatch: number | undefined): void {
  if (ifMatch === undefined) return;
  if (!current) throw preconditionFailed(`If-Match: ${resourceType}/${id} does not exist`);
  if (current.version_id !== ifMatch) {
    throw preconditionFailed(`If-Match: version ${ifMatch} of ${resourceType}/${id} is not the current version ${current.version_id}`);
  }
}

function requireCurrent(resourceType: string, id: string, apply: (current: Resource) => Resource) {
  return (current: CurrentRow | undefined): Resource => apply(currentOrThrow(resourceType, id, current));
}

async function updateIn(
  tx: Queryable,
  baseUrl: string,
  resourceType: string,
  id: string,
  next: (current: CurrentRow | undefined) => Resource,
  method: WriteMethod,
  ifMatch?: number,
): Promise<WriteResult> {
  const current = await lockCurrent(tx, resourceType, id);
  checkIfMatch(resourceType, id, current, ifMatch);
  const resource = next(current);
  const previous = current && !current.deleted && current.content ? current.content : undefined;
  const stored = await writeVersion(tx, baseUrl, { resourceType, id, versionId: (current?.version_id ?? 0) + 1, method, resource, previous });
  return { resource: stored!, created: !current || current.deleted };
}

async function deleteIn(tx: Queryable, baseUrl: string, resourceType: string, id: string, ifMatch?: number): Promise<DeleteResult> {
  const current = await lockCurrent(tx, resourceType, id);
  if (!current && ifMatch === undefined) throw notFound(`${resourceType}/${id} is not known`);
  checkIfMatch(resourceType, id, current, ifMatch);
  if (current!.deleted) return {};
  const versionId = current!.version_id + 1;
  await writeVersion(tx, baseUrl, { resourceType, id, versionId, method: 'DELETE', previous: current!.content ?? undefined });
  return { versionId };
}
