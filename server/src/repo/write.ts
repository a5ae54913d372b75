// The one statement that writes a version: current row, history row and search-index rows together.
// Data-modifying CTEs share one snapshot, so the DELETE of old index rows never sees the new ones.
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.js';
import { emptyIndexRows, extractIndex, type IndexRows } from '../search/index.js';

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Raised when another transaction wrote the same resource first; the interaction is retried. */
export class ConcurrentWriteError extends Error {
  constructor() {
    super('concurrent write');
  }
}

/**
 * The index tables, their value columns and the SQL types of the bound arrays, in the order of
 * IndexRows' arrays; a third entry is the SQL that turns the bound value into the column's value.
 */
const INDEX_TABLES: { table: string; kind: keyof IndexRows; columns: [string, string, string?][] }[] = [
  { table: 'search_token', kind: 'token', columns: [['param', 'text'], ['system', 'text'], ['code', 'text']] },
  { table: 'search_string', kind: 'string', columns: [['param', 'text'], ['value', 'text'], ['raw', 'text']] },
  { table: 'search_reference', kind: 'reference', columns: [['param', 'text'], ['target_type', 'text'], ['target_id', 'text'], ['url', 'text']] },
  { table: 'search_date', kind: 'date', columns: [['param', 'text'], ['low', 'timestamptz'], ['high', 'timestamptz']] },
  { table: 'search_number', kind: 'number', columns: [['param', 'text'], ['system', 'text'], ['code', 'text'], ['value', 'numeric']] },
  {
    table: 'search_composite',
    kind: 'composite',
    columns: [
      ['param', 'text'], ['system', 'text'], ['code', 'text'], ['value_system', 'text'], ['value_code', 'text'],
      ['value_number', 'numeric'], ['value_low', 'timestamptz'], ['value_high', 'timestamptz'], ['value_text', 'text'],
    ],
  },
  { table: 'search_text', kind: 'text', columns: [['param', 'text'], ['document', 'text', "to_tsvector('simple', v.document)"]] },
];

/**
 * CTEs that write the index rows of resource ($1, $2) for the tables in `tables` (indexes into
 * INDEX_TABLES), with their arrays bound from $first on, when guard holds; with replace, the old
 * rows of every table are deleted first (an update), else there are none (a create).
 */
function indexCtes(tables: number[], first: number, guard: string, replace: boolean): string[] {
  let next = first;
  const ctes: string[] = [];
  if (replace) {
    INDEX_TABLES.forEach(({ table }, i) => {
      ctes.push(`old_${i} AS (DELETE FROM ${table} WHERE resource_type = $1::text AND resource_id = $2::text AND ${guard})`);
    });
  }
  for (const i of tables) {
    const { table, columns } = INDEX_TABLES[i];
    const arrays = columns.map(([, type]) => `$${next++}::${type}[]`);
    const names = columns.map(([name]) => name);
    ctes.push(`new_${i} AS (
  INSERT INTO ${table} (resource_type, resource_id, ${names.join(', ')})
  SELECT $1::text, $2::text, ${columns.map(([n, , expr]) => expr ?? `v.${n}`).join(', ')}
  FROM unnest(${arrays.join(', ')}) AS v(${names.join(', ')})
  WHERE ${guard}
)`);
  }
  return ctes;
}

/**
 * The statement that writes a version, for the index tables that get rows; a first version has
 * no old index rows to delete. One prepared statement per shape ("meridian_write_<tables>_<c|u>").
 */
const writeStatements = new Map<string, string>();
function writeSql(tables: number[], create: boolean): { name: string; sql: string } {
  const name = `meridian_write_${tables.join('')}_${create ? 'c' : 'u'}`;
  let sql = writeStatements.get(name);
  if (!sql) {
    // $1..$7 are the resource's own; the index arrays follow
    sql = `
WITH cur AS (
  INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, content)
  VALUES ($1::text, $2::text, $3::integer, $4::timestamptz, $5::boolean, $6::jsonb)
  ON CONFLICT (resource_type, id) DO UPDATE
    SET version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated,
        deleted = EXCLUDED.deleted, content = EXCLUDED.content
    WHERE resources.version_id = EXCLUDED.version_id - 1
  RETURNING 1
), hist AS (
  INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
  SELECT $1::text, $2::text, $3::integer, $4::timestamptz, $7::text, $6::jsonb FROM cur
)${indexCtes(tables, 8, 'EXISTS (SELECT 1 FROM cur)', !create).map((c) => `, ${c}`).join('')}
SELECT count(*)::integer AS written FROM cur`;
    writeStatements.set(name, sql);
  }
  return { name, sql };
}

/** Rewrites the index rows of one current resource ($1 type, $2 id) from the arrays bound from $3 on. */
const ALL_TABLES = INDEX_TABLES.map((_, i) => i);
const REINDEX_SQL = `WITH ${indexCtes(ALL_TABLES, 3, 'true', true).join(', ')} SELECT 1`;

/** The bound values of the index arrays, in the order of INDEX_TABLES: one list of arrays per table. */
function indexParams(rows: IndexRows): unknown[][][] {
  return [
    [rows.token.param, rows.token.system, rows.token.code],
    [rows.string.param, rows.string.value, rows.string.raw],
    [rows.reference.param, rows.reference.targetType, rows.reference.targetId, rows.reference.url],
    [rows.date.param, rows.date.low, rows.date.high],
    [rows.number.param, rows.number.system, rows.number.code, rows.number.value],
    [
      rows.composite.param, rows.composite.system, rows.composite.code, rows.composite.valueSystem, rows.composite.valueCode,
      rows.composite.valueNumber, rows.composite.valueLow, rows.composite.valueHigh, rows.composite.valueText,
    ],
    [rows.text.param, rows.text.document],
  ];
}

export interface VersionToWrite {
  resourceType: string;
  id: string;
  versionId: number;
  method: WriteMethod;
  /** The resource to store, or undefined for a delete. */
  resource?: Resource;
  /** The version it replaces or ends (for audit and authorization checks of what a write changed). */
  previous?: Resource;
}

/**
 * A version a transaction wrote, as the hooks see it before commit (audit, authorization): resource
 * is the stored resource, or for a delete the version it ended.
 */
export type Written = VersionToWrite;

/**
 * A transaction that keeps a list of the versions written in it, so that they can be audited
 * before it commits (see Repository.withHook).
 */
export interface RecordingTx extends Queryable {
  written?: Written[];
}

/**
 * Writes one version and returns the stored resource with meta.versionId and meta.lastUpdated set.
 * Throws ConcurrentWriteError when the current version is no longer versionId - 1.
 */
/** The resource as stored: its id, and meta.versionId and meta.lastUpdated set by the server. */
function toStore(resource: Resource, id: string, versionId: number, lastUpdated: string): Resource {
  const { resourceType, id: _id, meta, ...rest } = resource;
  return { resourceType, id, meta: { ...meta, versionId: String(versionId), lastUpdated }, ...rest } as Resource;
}

export async function writeVersion(tx: RecordingTx, baseUrl: string, v: VersionToWrite): Promise<Resource | undefined> {
  const lastUpdated = new Date().toISOString();
  const stored = v.resource && toStore(v.resource, v.id, v.versionId, lastUpdated);
  const index = indexParams(stored ? extractIndex(stored, baseUrl) : emptyIndexRows());
  const tables = ALL_TABLES.filter((i) => index[i][0].length > 0);
  const { name, sql } = writeSql(tables, v.versionId === 1);
  const { rows } = await tx.query<{ written: number }>(
    sql,
    [v.resourceType, v.id, v.versionId, lastUpdated, !stored, stored ? JSON.stringify(stored) : null, v.method, ...tables.flatMap((i) => index[i])],
    name,
  );
  if (rows[0]?.written !== 1) throw new ConcurrentWriteError();
  tx.written?.push({ ...v, resource: stored ?? v.previous });
  return stored;
}

/** Replaces the index rows of a stored resource (after a definitions change), in the caller's transaction. */
export async function reindexResource(tx: Queryable, baseUrl: string, resource: Resource): Promise<void> {
  const index = extractIndex(resource, baseUrl);
  await tx.query(REINDEX_SQL, [resource.resourceType, resource.id, ...indexParams(index).flat()], 'meridian_reindex');
}

const CREATE_CHUNK = 500;

/**
 * Creates many new resources (version 1, ids not yet used) with one statement per 500: resource,
 * history and index rows of all of them at once. A transaction Bundle's POSTs go this way.
 */
export async function createMany(tx: RecordingTx, baseUrl: string, items: { resource: Resource; id: string }[]): Promise<Resource[]> {
  const out: Resource[] = [];
  for (let start = 0; start < items.length; start += CREATE_CHUNK) {
    const chunk = items.slice(start, start + CREATE_CHUNK);
    const lastUpdated = new Date().toISOString();
    const stored = chunk.map(({ resource, id }) => toStore(resource, id, 1, lastUpdated));
    const params: unknown[] = [stored.map((r) => r.resourceType), stored.map((r) => r.id), lastUpdated, stored.map((r) => JSON.stringify(r))];
    const ctes: string[] = [];
    const perTable = INDEX_TABLES.map(() => ({ types: [] as string[], ids: [] as string[], columns: [] as unknown[][] }));
    for (const r of stored) {
      indexParams(extractIndex(r, baseUrl)).forEach((arrays, t) => {
        const target = perTable[t];
        if (!target.columns.length) target.columns = arrays.map(() => []);
        const n = (arrays[0] as unknown[]).length;
        for (let k = 0; k < n; k++) {
          target.types.push(r.resourceType);
          target.ids.push(r.id!);
        }
        arrays.forEach((values, c) => target.columns[c].push(...(values as unknown[])));
      });
    }
    INDEX_TABLES.forEach(({ table, columns }, t) => {
      const rows = perTable[t];
      if (!rows.types.length) return;
      const bind = (value: unknown) => `$${params.push(value)}`;
      const names = columns.map(([name]) => name);
      const arrays = [`${bind(rows.types)}::text[]`, `${bind(rows.ids)}::text[]`, ...columns.map(([, type], c) => `${bind(rows.columns[c])}::${type}[]`)];
      ctes.push(`new_${t} AS (
  INSERT INTO ${table} (resource_type, resource_id, ${names.join(', ')})
  SELECT v.resource_type, v.resource_id, ${columns.map(([n, , expr]) => expr ?? `v.${n}`).join(', ')}
  FROM unnest(${arrays.join(', ')}) AS v(resource_type, resource_id, ${names.join(', ')}))`);
    });
    const { rows } = await tx.query<{ written: number }>(
      `WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $4::jsonb[]) AS v(resource_type, id, content)),
       cur AS (INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, content)
               SELECT resource_type, id, 1, $3::timestamptz, false, content FROM v RETURNING 1),
       hist AS (INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
                SELECT resource_type, id, 1, $3::timestamptz, 'POST', content FROM v)
       ${ctes.map((c) => `, ${c}`).join('')}
       SELECT count(*)::integer AS written FROM cur`,
      params,
    );
    if (rows[0]?.written !== chunk.length) throw new ConcurrentWriteError();
    tx.written?.push(...stored.map((r) => ({ resourceType: r.resourceType, id: r.id!, versionId: 1, method: 'POST' as const, resource: r })));
    out.push(...stored);
  }
  return out;
}
