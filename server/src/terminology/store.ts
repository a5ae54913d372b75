// Shipped definitions (terminology, profiles) stored as resources, so that they can be read, searched
// and referenced like any other. Each carries a meta.tag with the hash of its shipped content: a start
// writes only what is missing or changed since the last one, in small transactions, in the background.
import { createHash } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';

export const SHIPPED_TAG_SYSTEM = 'https://meridian.dev/fhir/CodeSystem/shipped-content';
const CHUNK = 100;

const hashOf = (r: Resource) => createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16);

function tagged(r: Resource): Resource {
  if (!r.id) throw new Error(`Shipped ${r.resourceType} ${(r as { url?: string }).url ?? ''} has no id`);
  const { meta, ...rest } = r;
  const tag = { system: SHIPPED_TAG_SYSTEM, code: hashOf(r) };
  return { ...rest, meta: { ...meta, tag: [...(meta?.tag ?? []).filter((t) => t.system !== SHIPPED_TAG_SYSTEM), tag] } } as Resource;
}

const hashTag = (r: Resource) => r.meta?.tag?.find((t) => t.system === SHIPPED_TAG_SYSTEM)?.code;

export interface Stored {
  created: number;
  updated: number;
}

/** Writes the shipped resources (each with an id) that the database lacks or holds at other content. */
export async function storeShipped(repo: Repository, db: Queryable, resources: Resource[], stopped = () => false): Promise<Stored> {
  const wanted = resources.map(tagged);
  const { rows } = await db.query<{ resource_type: string; id: string; hash: string | null }>(
    `SELECT resource_type, id, (SELECT t->>'code' FROM jsonb_array_elements(content->'meta'->'tag') t WHERE t->>'system' = $3 LIMIT 1) AS hash
       FROM resources WHERE NOT deleted AND (resource_type, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [wanted.map((r) => r.resourceType), wanted.map((r) => r.id), SHIPPED_TAG_SYSTEM],
  );
  const current = new Map(rows.map((r) => [`${r.resource_type}/${r.id}`, r.hash]));
  const todo = wanted.filter((r) => current.get(`${r.resourceType}/${r.id}`) !== hashTag(r));
  const total: Stored = { created: 0, updated: 0 };
  for (let i = 0; i < todo.length && !stopped(); i += CHUNK) {
    const chunk = todo.slice(i, i + CHUNK);
    // looked at again inside the transaction: another process may be storing the same content
    const done = await repo.inTransaction(async (ops) => {
      const stored = await ops.readMany(chunk.map((r) => ({ resourceType: r.resourceType, id: r.id! })));
      const missing = chunk.filter((r) => !stored.has(`${r.resourceType}/${r.id}`));
      const changed = chunk.filter((r) => {
        const s = stored.get(`${r.resourceType}/${r.id}`);
        return s && hashTag(s) !== hashTag(r);
      });
      if (missing.length) await ops.createMany(missing.map((r) => ({ resource: r, id: r.id! })));
      for (const r of changed) await ops.update(r.resourceType, r.id!, r);
      return { created: missing.length, updated: changed.length };
    });
    total.created += done.created;
    total.updated += done.updated;
  }
  return total;
}

export interface BackgroundStore {
  /** Settles when everything is stored (or the store was stopped); never rejects (failures are logged). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Stores each group in turn, in the background; logs what it wrote. */
export function storeInBackground(repo: Repository, db: Queryable, groups: { name: string; resources: () => Resource[] }[], log: Logger): BackgroundStore {
  let stopping = false;
  const done = (async () => {
    for (const group of groups) {
      if (stopping) return;
      const started = Date.now();
      try {
        const stored = await storeShipped(repo, db, group.resources(), () => stopping);
        if (stored.created || stored.updated) log.info({ ...stored, ms: Date.now() - started }, `Stored the shipped ${group.name}`);
      } catch (err) {
        if (!stopping) log.error({ err }, `Could not store the shipped ${group.name}; it is still used from memory`);
      }
    }
  })();
  return {
    done,
    async stop() {
      stopping = true;
      await done;
    },
  };
}
