// The bench's data: one synthetic population from the seed generator (seed/generate.ts), its practice
// loaded first and its patients split among the phases in order (create, search, ingest), plus what the
// bench needs around it: loading Bundles through POST /fhir, the ids Meridian gave each entry, and each
// resource as Meridian stores it (references resolved), for the raw baselines. No data is made here.
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { generatePatientBundles, generatePractice, SEED_SYSTEM, type SeedOptions } from '../seed/generate.js';
import { expectOk, log, runWorkers, type HttpClient, type HttpResponse } from './harness.js';

/** The population's seed and as-of date: fixed, so every run loads the same resources. */
export const SEED = 'bench';
export const AS_OF = '2026-11-01';

/** A resource as Meridian stores it (without meta): its type, the id Meridian gave it, its JSON with that id and resolved references. */
export interface StoredRow {
  resourceType: string;
  id: string;
  content: string;
}

/** Seed identifier value -> `Type/id` of the practice resources Meridian holds (patients refer to them conditionally). */
export type PracticeIndex = Map<string, string>;

export interface PopulationCounts {
  /** Vital-sign Observations the create phase POSTs one by one. */
  vitalSigns: number;
  /** Patients loaded for the search phase, and for the ingest phase (warm-up included). */
  searchPatients: number;
  ingestPatients: number;
}

export const isVitalSign = (resource: Resource | undefined): boolean =>
  resource?.resourceType === 'Observation' && (resource.category ?? []).some((c) => (c.coding ?? []).some((k) => k.code === 'vital-signs'));

/**
 * The population: patients [0, createPatients) give the create phase its vital signs, the next
 * searchPatients are the search data, the rest the ingest phase's Bundles. Its size is part of the
 * options (it sets the number of practitioners and which Slots are booked), so createPatients is
 * found by generating: the fewest patients, with that total, whose records hold enough vital signs.
 */
export class Population {
  readonly options: SeedOptions;
  readonly createPatients: number;
  private readonly patients: Iterator<Bundle>;
  private taken = 0;

  constructor(counts: PopulationCounts) {
    const rest = counts.searchPatients + counts.ingestPatients;
    let create = Math.max(1, Math.ceil(counts.vitalSigns / 50));
    for (;;) {
      const options: SeedOptions = { patients: create + rest, seed: SEED, asOf: AS_OF };
      let vitals = 0;
      let n = 0;
      for (const bundle of generatePatientBundles(options)) {
        if (n === create || vitals >= counts.vitalSigns) break;
        vitals += (bundle.entry ?? []).filter((e) => isVitalSign(e.resource)).length;
        n++;
      }
      if (vitals >= counts.vitalSigns) {
        // The first `create` patients hold enough (maybe already the first n < create): they all go to the create phase.
        this.options = options;
        this.createPatients = create;
        break;
      }
      create += Math.ceil((counts.vitalSigns - vitals) / 30);
    }
    this.patients = generatePatientBundles(this.options)[Symbol.iterator]();
  }

  get size(): number {
    return this.options.patients;
  }

  practice(): Bundle {
    return generatePractice(this.options);
  }

  /** The next `count` patient Bundles, in patient order. */
  next(count: number): Bundle[] {
    const bundles: Bundle[] = [];
    for (let i = 0; i < count; i++) {
      const item = this.patients.next();
      if (item.done) throw new Error(`the population has ${this.size} patients; ${this.taken} were taken and ${count - i} more asked for`);
      bundles.push(item.value);
      this.taken++;
    }
    return bundles;
  }
}

const entriesOf = (bundle: Bundle): (BundleEntry & { resource: Resource; fullUrl: string })[] =>
  (bundle.entry ?? []) as (BundleEntry & { resource: Resource; fullUrl: string })[];

/** The ids Meridian gave a transaction's entries, in entry order; throws unless every entry was created (201). */
export function transactionIds(res: HttpResponse, bundle: Bundle): string[] {
  const sent = entriesOf(bundle);
  const fail = (what: string) => new Error(`POST /fhir (transaction Bundle) answered ${res.status}, but ${what}; response body:\n${res.body.slice(0, 4000)}`);
  const body = JSON.parse(res.body) as { type?: string; entry?: { response?: { status?: string; location?: string } }[] };
  const entries = body.entry ?? [];
  if (body.type !== 'transaction-response') throw fail(`Bundle.type is ${body.type}`);
  if (entries.length !== sent.length) throw fail(`with ${entries.length} entries for ${sent.length} sent`);
  return entries.map(({ response }, i) => {
    const location = /^([A-Za-z]+)\/([^/]+)\/_history\//.exec(response?.location ?? '');
    // 200 would mean ifNoneExist found the resource already there: the database was not fresh.
    if (!response?.status?.startsWith('201') || location?.[1] !== sent[i].resource.resourceType) throw fail(`entry ${i} has response ${JSON.stringify(response)}`);
    return location[2];
  });
}

const CONDITIONAL = new RegExp(`^([A-Za-z]+)\\?identifier=${SEED_SYSTEM.replace(/[.:]/g, '\\$&')}\\|(.+)$`);

/**
 * The Bundle's resources as Meridian stores them when entry i got the id idOf(i): with that id, every
 * `urn:uuid` reference to an entry replaced by Type/id, and every conditional reference to a practice
 * resource (`Practitioner?identifier=urn:meridian:seed|...`) by the practice resource's Type/id.
 */
export function storedRows(bundle: Bundle, idOf: (index: number) => string, practice: PracticeIndex): StoredRow[] {
  const entries = entriesOf(bundle);
  const targets = new Map(entries.map((e, i) => [e.fullUrl, `${e.resource.resourceType}/${idOf(i)}`]));
  const resolve = (key: string, value: unknown): unknown => {
    if (key !== 'reference' || typeof value !== 'string') return value;
    if (value.startsWith('urn:uuid:')) {
      const target = targets.get(value);
      if (!target) throw new Error(`${value} is not a fullUrl of the Bundle`);
      return target;
    }
    const conditional = CONDITIONAL.exec(value);
    if (conditional) {
      const target = practice.get(conditional[2]);
      if (!target?.startsWith(`${conditional[1]}/`)) throw new Error(`${value} does not match a practice resource`);
      return target;
    }
    return value;
  };
  return entries.map((e, i) => {
    const { resourceType, ...rest } = e.resource;
    const content = JSON.stringify({ resourceType, id: idOf(i), ...rest }, resolve);
    return { resourceType, id: idOf(i), content };
  });
}

/** The seed identifier value of each entry (from its ifNoneExist), with the Type/id Meridian gave it. */
export function practiceIndex(bundle: Bundle, ids: string[]): PracticeIndex {
  const index: PracticeIndex = new Map();
  entriesOf(bundle).forEach((e, i) => {
    const value = /\|(.+)$/.exec(e.request?.ifNoneExist ?? '')?.[1];
    if (value) index.set(value, `${e.resource.resourceType}/${ids[i]}`);
  });
  return index;
}

export interface Loaded {
  /** Per Bundle, the ids of its entries. */
  ids: string[][];
  /** Every resource as stored, Bundle after Bundle. */
  rows: StoredRow[];
  resources: number;
  seconds: number;
}

/** POST /fhir each Bundle (a transaction) with `clients` concurrent clients, untimed; returns what Meridian now holds. */
export async function loadBundles(http: HttpClient, label: string, bundles: Bundle[], clients: number, practice: PracticeIndex): Promise<Loaded> {
  const ids: string[][] = new Array(bundles.length);
  const resources = bundles.reduce((n, b) => n + (b.entry?.length ?? 0), 0);
  const { seconds } = await runWorkers(label, clients, bundles.length, async (i) => {
    const res = expectOk('POST /fhir (transaction Bundle)', await http.request('POST', '/fhir', JSON.stringify(bundles[i]), { prefer: 'return=minimal' }));
    ids[i] = transactionIds(res, bundles[i]);
  });
  log(`${label}: ${bundles.length} transaction Bundles, ${resources} resources in ${seconds.toFixed(1)} s (${(resources / seconds).toFixed(0)} resources/s, ${clients} clients)`);
  const rows = bundles.flatMap((b, n) => storedRows(b, (i) => ids[n][i], practice));
  return { ids, rows, resources, seconds };
}

/** JSON with keys sorted, for comparing documents whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Reads the rows back from Meridian and checks that each is what the baseline holds (meta aside), so
 * the raw tables really hold the resources as Meridian stored them. Throws on the first difference.
 */
export async function checkStored(http: HttpClient, rows: StoredRow[], what: string): Promise<void> {
  for (const row of rows) {
    const path = `/fhir/${row.resourceType}/${row.id}`;
    const stored = JSON.parse(expectOk(`GET ${path}`, await http.request('GET', path)).body) as Record<string, unknown>;
    delete stored.meta;
    const expected = canonical(JSON.parse(row.content));
    const got = canonical(stored);
    if (expected !== got) {
      throw new Error(`${what}: ${path} as Meridian stores it differs from the baseline's copy:\n  Meridian ${got.slice(0, 2000)}\n  baseline ${expected.slice(0, 2000)}`);
    }
  }
  log(`${what}: ${rows.length} resources read back from Meridian are the baseline's copies`);
}
