// The one statement that writes a version: current row, history row and search-index rows together.
// Data-modifying CTEs share one snapshot, so the DELETE of old index rows never sees the new ones.
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.js';
import { extractTokens } from '../search/index.js';

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Raised when another transaction wrote the same resource first; the interaction is retried. */
export class ConcurrentWriteError extends Error {
  constructor() {
    super('concurrent write');
  }
}

const WRITE_SQL = `
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
), old_tokens AS (
  DELETE FROM search_token
  WHERE resource_type = $1::text AND resource_id = $2::text AND $3::integer > 1 AND EXISTS (SELECT 1 FROM cur)
), new_tokens AS (
  INSERT INTO search_token (resource_type, resource_id, param, system, code)
  SELECT $1::text, $2::text, t.param, t.system, t.code
  FROM unnest($8::text[], $9::text[], $10::text[]) AS t(param, system, code)
  WHERE EXISTS (SELECT 1 FROM cur)
)
SELECT count(*)::integer AS written FROM cur`;

export interface VersionToWrite {
  resourceType: string;
  id: string;
  versionId: number;
  method: WriteMethod;
  /** The resource to store, or undefined for a delete. */
  resource?: Resource;
}

/**
 * Writes one version and returns the stored resource with meta.versionId and meta.lastUpdated set.
 * Throws ConcurrentWriteError when the current version is no longer versionId - 1.
 */
export async function writeVersion(tx: Queryable, v: VersionToWrite): Promise<Resource | undefined> {
  const lastUpdated = new Date().toISOString();
  let stored: Resource | undefined;
  if (v.resource) {
    const { resourceType, id: _id, meta, ...rest } = v.resource;
    stored = { resourceType, id: v.id, meta: { ...meta, versionId: String(v.versionId), lastUpdated }, ...rest } as Resource;
  }
  const tokens = stored ? extractTokens(stored) : { param: [], system: [], code: [] };
  const { rows } = await tx.query<{ written: number }>(WRITE_SQL, [
    v.resourceType,
    v.id,
    v.versionId,
    lastUpdated,
    !stored,
    stored ? JSON.stringify(stored) : null,
    v.method,
    tokens.param,
    tokens.system,
    tokens.code,
  ], 'meridian_write_version');
  if (rows[0]?.written !== 1) throw new ConcurrentWriteError();
  return stored as Resource | undefined;
}
