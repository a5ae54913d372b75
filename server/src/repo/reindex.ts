// Rebuilds the search-index rows of stored resources from the current definitions, in batches of
// one transaction each, reporting progress as it goes.
import type { Resource } from '@medplum/fhirtypes';
import type { Db } from '../db/index.js';
import { reindexResource } from './write.js';

export interface ReindexScope {
  resourceType?: string;
  id?: string;
}

export interface ReindexProgress {
  done: number;
  total: number;
  resourceType: string;
}

const BATCH = 500;

export async function reindex(db: Db, baseUrl: string, scope: ReindexScope, onProgress?: (p: ReindexProgress) => void): Promise<number> {
  const filter: string[] = ['NOT deleted'];
  const params: unknown[] = [];
  if (scope.resourceType) filter.push(`resource_type = $${params.push(scope.resourceType)}`);
  if (scope.id) filter.push(`id = $${params.push(scope.id)}`);
  const { rows: counted } = await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM resources WHERE ${filter.join(' AND ')}`, params);
  const total = counted[0].n;
  let done = 0;
  let after = ['', ''];
  for (;;) {
    const page = [...params, after[0], after[1], BATCH];
    const n = params.length;
    const { rows } = await db.query<{ resource_type: string; id: string; content: Resource }>(
      `SELECT resource_type, id, content FROM resources WHERE ${filter.join(' AND ')}
       AND (resource_type, id) > ($${n + 1}::text, $${n + 2}::text) ORDER BY resource_type, id LIMIT $${n + 3}`,
      page,
    );
    if (!rows.length) break;
    await db.transaction(async (tx) => {
      for (const row of rows) await reindexResource(tx, baseUrl, row.content);
    });
    done += rows.length;
    const last = rows[rows.length - 1];
    after = [last.resource_type, last.id];
    onProgress?.({ done, total, resourceType: last.resource_type });
  }
  return done;
}
