// Stores a generated population (seed/) straight through the repository's batch write (createMany:
// resource, history and index rows as Meridian writes them), without HTTP or validation, for tests
// that need realistic data at a scale the transaction endpoint would take minutes to load.
// References are resolved as a transaction would: urn:uuid fullUrls become the ids taken from them,
// and the conditional references to practice resources (Type?identifier=system|value) the practice's ids.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Db } from '../src/db/index.js';
import { createMany } from '../src/repo/write.js';
import { generatePatientBundles, generatePractice, type SeedOptions } from '../../seed/generate.js';

const BATCH = 2_000;

/** Writes the practice and options.patients patients; returns how many resources of each type. */
export async function storeSeedPopulation(db: Db, baseUrl: string, options: SeedOptions): Promise<Record<string, number>> {
  const ids = new Map<string, string>(); // fullUrl or "Type?identifier=system|value" -> Type/id
  const counts: Record<string, number> = {};
  let batch: { resource: Resource; id: string }[] = [];
  const flush = async () => {
    const items = batch;
    batch = [];
    if (items.length) await db.transaction((tx) => createMany(tx, baseUrl, items));
  };
  const add = async (bundle: Bundle) => {
    const entries = bundle.entry ?? [];
    for (const e of entries) {
      const r = e.resource!;
      const id = e.fullUrl!.replace(/^urn:uuid:/, '');
      ids.set(e.fullUrl!, `${r.resourceType}/${id}`);
      for (const identifier of (r as { identifier?: { system?: string; value?: string }[] }).identifier ?? []) {
        ids.set(`${r.resourceType}?identifier=${identifier.system}|${identifier.value}`, `${r.resourceType}/${id}`);
      }
    }
    for (const e of entries) {
      const r = resolve(e.resource!, ids) as Resource;
      batch.push({ resource: r, id: e.fullUrl!.replace(/^urn:uuid:/, '') });
      counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
      if (batch.length >= BATCH) await flush();
    }
  };
  await add(generatePractice(options));
  for (const bundle of generatePatientBundles(options)) await add(bundle);
  await flush();
  await db.exec('ANALYZE');
  return counts;
}

/** A copy with every reference that names a Bundle entry or a practice resource replaced by Type/id. */
function resolve(value: unknown, ids: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ids));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'reference' && typeof v === 'string') {
      const target = ids.get(v);
      if (!target) throw new Error(`unresolved reference ${v}`);
      out[k] = target;
    } else out[k] = resolve(v, ids);
  }
  return out;
}
