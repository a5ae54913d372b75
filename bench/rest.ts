// npm run bench: Meridian's REST create and read-by-id, next to raw `pg` doing the same rows in the
// same database in the same run (DESIGN.md principle 6: speed claims are ratios to a baseline); then
// searches (search.ts), then bulk ingest and $export (bulk.ts), then websocket notification latency
// (subscriptions.ts), in the same database and server; terminology operations on the bench's own
// CodeSystem (terminology.ts) and CDS Hooks order-sign (cds.ts) before the subscriptions. All data
// but the subscription phase's own Observations, the terminology phase's CodeSystem and the CDS
// phase's draft orders comes from one population of the seed generator (population.ts).
// See bench/README.md for what is measured and how to read the table.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Observation } from '@medplum/fhirtypes';
import type pg from 'pg';
import { cdsPhase, cdsReport } from './cds.js';
import { bulkReport, exportPhase, ingestPhase, type ExportResult, type IngestResult } from './bulk.js';
import { checkpoint, connectClients, createRawTable, INSERT_RAW, recreateDatabase, SELECT_RAW } from './database.js';
import { envInt, expectOk, HttpClient, log, percentile, runWorkers, seededRandom, type HttpResponse } from './harness.js';
import { checkStored, isVitalSign, loadBundles, Population, practiceIndex, SEED as POPULATION_SEED, type PracticeIndex, type StoredRow } from './population.js';
import { searchPhase, searchReport } from './search.js';
import { freePort, startServer } from './server-process.js';
import { subscriptionPhase, subscriptionReport } from './subscriptions.js';
import { terminologyPhase, terminologyReport } from './terminology.js';

const DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/meridian_bench';
const CREATES = envInt('BENCH_CREATES', 4000); // timed creates per create phase
const READS = envInt('BENCH_READS', 3000); // timed reads per read phase
const WARMUP = envInt('BENCH_WARMUP', 300); // untimed requests before every timed phase
const RAW_ROUNDS = envInt('BENCH_RAW_ROUNDS', 3); // raw create phases are repeated, median kept
const TIMEOUT_S = envInt('BENCH_TIMEOUT_S', 720); // the whole run gives up after this
const SEARCH = process.env.BENCH_SEARCH !== '0'; // BENCH_SEARCH=0 skips the search phase
const SEARCH_PATIENTS = envInt('BENCH_SEARCH_PATIENTS', 1000); // generated patient records loaded for the search phase
const SEARCH_RUNS = envInt('BENCH_SEARCH_RUNS', 300); // timed runs per search and side
const SEARCH_WARMUP = envInt('BENCH_SEARCH_WARMUP', 50); // untimed runs before each
const INGEST = process.env.BENCH_INGEST !== '0'; // BENCH_INGEST=0 skips the ingest phase
const INGEST_BUNDLES = envInt('BENCH_INGEST_BUNDLES', 150); // timed patient transaction Bundles per side
const INGEST_WARMUP = envInt('BENCH_INGEST_WARMUP', 8); // untimed Bundles before each
const EXPORT = process.env.BENCH_EXPORT !== '0'; // BENCH_EXPORT=0 skips the $export phase
const EXPORT_FILE_BYTES = envInt('BENCH_EXPORT_FILE_BYTES', 16 * 1024 * 1024); // ndjson file size limit, both sides (Meridian's default)
const SUBSCRIPTIONS = process.env.BENCH_SUBSCRIPTIONS !== '0'; // BENCH_SUBSCRIPTIONS=0 skips the subscription phase
const SUB_CLIENTS = envInt('BENCH_SUB_CLIENTS', 50); // websocket subscribers, one Subscription each
const SUB_RATE = envInt('BENCH_SUB_RATE', 100); // Observations POSTed per second
const SUB_SECONDS = envInt('BENCH_SUB_SECONDS', 30); // for this many seconds
const TERMINOLOGY = process.env.BENCH_TERMINOLOGY !== '0'; // BENCH_TERMINOLOGY=0 skips the terminology phase
const TERMINOLOGY_CONCEPTS = envInt('BENCH_TERMINOLOGY_CONCEPTS', 20000); // concepts of the bench's own CodeSystem
const TERMINOLOGY_RUNS = envInt('BENCH_TERMINOLOGY_RUNS', 500); // timed runs per operation, side and concurrency
const TERMINOLOGY_WARMUP = envInt('BENCH_TERMINOLOGY_WARMUP', 50); // untimed runs before each
const CDS = process.env.BENCH_CDS !== '0'; // BENCH_CDS=0 skips the CDS Hooks phase
const CDS_PATIENTS = envInt('BENCH_CDS_PATIENTS', 40); // create-phase patients with an active MedicationRequest the order-sign requests are for
const CDS_RUNS = envInt('BENCH_CDS_RUNS', 300); // timed order-sign requests per row (with prefetch, without, raw) and concurrency
const CDS_WARMUP = envInt('BENCH_CDS_WARMUP', 30); // untimed requests before each
const CLIENTS = 8; // the concurrent phase: 8 HTTP clients / 8 pg connections
const BULK_CLIENTS = 4; // ingest: 4 HTTP clients / 4 pg connections; $export: 4 concurrent downloads
const LOAD_CLIENTS = 4; // untimed loading of generated patient Bundles
const SEED = 20240601; // the bench's own random choices: which ids to read, which patient to search for
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Results {
  create1: number;
  create8: number;
  readP50: number;
  readP99: number;
}

interface CreateData {
  /** The Observation JSON of the 1-client and of the 8-client phase, the same for Meridian and raw pg. */
  single: string[];
  multi: string[];
  /** What loading the patients' records left in Meridian. */
  loaded: StoredRow[];
  patients: number;
}

/**
 * The create phase's data, from the population's first patients: their records are loaded (untimed)
 * as their transaction Bundles without the vital signs; the vital signs then become the Observations
 * to create, with subject and encounter pointed at the ids Meridian gave, in time order as a feed
 * sends them, alternately to the 1-client and the 8-client phase.
 */
async function createData(http: HttpClient, population: Population, practice: PracticeIndex, count: number): Promise<CreateData> {
  const bundles = population.next(population.createPatients);
  const records = bundles.map((b) => ({ ...b, entry: (b.entry ?? []).filter((e) => !isVitalSign(e.resource)) }));
  const loaded = await loadBundles(http, 'create phase: patient records without their vital signs', records, LOAD_CLIENTS, practice);
  const vitals: { effective: number; body: string }[] = [];
  bundles.forEach((bundle, n) => {
    const target = new Map(records[n].entry.map((e, i) => [e.fullUrl!, `${e.resource!.resourceType}/${loaded.ids[n][i]}`]));
    const resolve = (reference?: { reference?: string }) => {
      const resolved = target.get(reference?.reference ?? '');
      if (!resolved) throw new Error(`a vital sign refers to ${reference?.reference}, not an entry of its Bundle`);
      return { ...reference, reference: resolved };
    };
    for (const entry of bundle.entry ?? []) {
      if (vitals.length === count || !isVitalSign(entry.resource)) continue;
      const observation = entry.resource as Observation;
      const body = { ...observation, subject: resolve(observation.subject), encounter: resolve(observation.encounter) };
      vitals.push({ effective: Date.parse(observation.effectiveDateTime!), body: JSON.stringify(body) });
    }
  });
  if (vitals.length < count) throw new Error(`${population.createPatients} patients hold ${vitals.length} vital signs, ${count} needed`);
  vitals.sort((a, b) => a.effective - b.effective);
  return {
    single: vitals.filter((_, i) => i % 2 === 0).map((v) => v.body),
    multi: vitals.filter((_, i) => i % 2 === 1).map((v) => v.body),
    loaded: loaded.rows,
    patients: bundles.length,
  };
}

/** The POSTed JSON with the id Meridian gave it: the resource as stored (meta aside). */
function withId(body: string, id: string): string {
  const { resourceType, ...rest } = JSON.parse(body) as { resourceType: string };
  return JSON.stringify({ resourceType, id, ...rest });
}

function createdId(res: HttpResponse): string {
  const location = /\/Observation\/([^/]+)\/_history\//.exec(String(res.headers.location ?? ''));
  return location ? location[1] : (JSON.parse(res.body) as { id: string }).id;
}

/** Warm-up, checkpoint, then `CREATES` timed ops on `workers` loops; returns rows/s. */
async function measureCreates(label: string, workers: number, control: pg.Client, op: (i: number, worker: number) => Promise<void>): Promise<number> {
  await runWorkers(`${label} warm-up`, workers, WARMUP, op);
  await checkpoint(control);
  const { seconds } = await runWorkers(label, workers, CREATES, (i, w) => op(WARMUP + i, w));
  const rate = CREATES / seconds;
  log(`${label}: ${CREATES} rows in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} rows/s`);
  return rate;
}

/** Warm-up then `READS` timed sequential reads of random ids; returns p50/p99 in ms. */
async function measureReads(label: string, ids: string[], read: (id: string) => Promise<void>): Promise<{ p50: number; p99: number }> {
  const random = seededRandom(SEED + 7);
  const picks = Array.from({ length: WARMUP + READS }, () => ids[Math.floor(random() * ids.length)]);
  await runWorkers(`${label} warm-up`, 1, WARMUP, (i) => read(picks[i]));
  const { latenciesMs } = await runWorkers(label, 1, READS, (i) => read(picks[WARMUP + i]));
  const p50 = percentile(latenciesMs, 50);
  const p99 = percentile(latenciesMs, 99);
  log(`${label}: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms over ${READS} reads`);
  return { p50, p99 };
}

/**
 * Raw creates, repeated RAW_ROUNDS times with fresh ids, median kept: on a VM, fsync speed (which
 * bounds single-row commits) swings 2x from one few-second window to the next, and Meridian's
 * creates, mostly CPU-bound, barely feel it. The spread goes into the report.
 */
async function rawCreates(label: string, workers: number, control: pg.Client, clients: pg.Client[], bodies: string[], ids: string[]): Promise<{ median: number; spread: string }> {
  const rates: number[] = [];
  for (let round = 1; round <= RAW_ROUNDS; round++) {
    // Ids made up front, like the server's uuids, so the timed loop is only the INSERT.
    const roundIds = bodies.map(() => randomUUID());
    ids.push(...roundIds);
    rates.push(
      await measureCreates(`${label}, round ${round}/${RAW_ROUNDS}`, workers, control, async (i, w) => {
        await clients[w].query(INSERT_RAW, [roundIds[i], bodies[i]]);
      }),
    );
  }
  rates.sort((a, b) => a - b);
  const spread = `${Math.round(rates[0])}–${Math.round(rates[rates.length - 1])}`;
  return { median: rates[Math.floor(rates.length / 2)], spread };
}

async function rawBaseline(control: pg.Client, single: string[], multi: string[]): Promise<Results & { spread: string }> {
  log('raw pg: bare table bench_raw (id text primary key, content jsonb)');
  await createRawTable(control);
  const clients = await connectClients(DATABASE_URL, CLIENTS);
  try {
    const ids: string[] = [];
    const create1 = await rawCreates('raw create 1 connection', 1, control, clients, single, ids);
    const create8 = await rawCreates(`raw create ${CLIENTS} connections`, CLIENTS, control, clients, multi, ids);
    const reads = await measureReads('raw read by id', ids, async (id) => {
      const { rowCount } = await clients[0].query(SELECT_RAW, [id]);
      if (rowCount !== 1) throw new Error(`raw read of ${id} found ${rowCount} rows`);
    });
    const spread = `raw create rates are the median of ${RAW_ROUNDS} rounds (1 connection ${create1.spread}, ${CLIENTS} connections ${create8.spread} rows/s)`;
    return { create1: create1.median, create8: create8.median, readP50: reads.p50, readP99: reads.p99, spread };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/** `created` receives every Observation Meridian stored, as stored (the search phase's baseline holds them too). */
async function meridianRest(http: HttpClient, control: pg.Client, single: string[], multi: string[], created: StoredRow[]): Promise<Results> {
  const ids: string[] = [];
  const posted: { id: string; body: string }[] = [];
  const post = async (body: string) => {
    const id = createdId(expectOk('POST /fhir/Observation', await http.request('POST', '/fhir/Observation', body)));
    ids.push(id);
    posted.push({ id, body });
  };
  const create1 = await measureCreates('Meridian create 1 client', 1, control, (i) => post(single[i]));
  const create8 = await measureCreates(`Meridian create ${CLIENTS} clients`, CLIENTS, control, (i) => post(multi[i]));
  const reads = await measureReads('Meridian read by id', ids, async (id) => {
    expectOk(`GET /fhir/Observation/${id}`, await http.request('GET', `/fhir/Observation/${id}`));
  });
  created.push(...posted.map(({ id, body }) => ({ resourceType: 'Observation', id, content: withId(body, id) })));
  await checkStored(http, created.slice(-20), 'create phase');
  return { create1, create8, readP50: reads.p50, readP99: reads.p99 };
}

function report(meridian: Results, raw: Results, context: string): string {
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  const ms = (n: number) => n.toFixed(3);
  const ratio = (m: number, r: number) => (m / r).toFixed(2);
  const row = (measure: string, m: number, r: number, fmt: (n: number) => string) => `| ${measure} | ${fmt(m)} | ${fmt(r)} | ${ratio(m, r)} |`;
  const createShare = meridian.create8 / raw.create8;
  const readFactor = meridian.readP50 / raw.readP50;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `## Meridian REST vs raw pg (${new Date().toISOString()})`,
    '',
    context,
    '',
    '| measure | Meridian (HTTP) | raw pg | ratio |',
    '|---|---:|---:|---:|',
    row(`create, 1 client (rows/s)`, meridian.create1, raw.create1, rate),
    row(`create, ${CLIENTS} clients (rows/s)`, meridian.create8, raw.create8, rate),
    row('read by id p50 (ms)', meridian.readP50, raw.readP50, ms),
    row('read by id p99 (ms)', meridian.readP99, raw.readP99, ms),
    '',
    'ratio = Meridian / raw pg. Rates: higher is better (1.00 = as fast as raw pg). Latencies: lower is better (1.00 = as fast as raw pg).',
    '',
    'Aims:',
    `- create with ${CLIENTS} clients >= 40 % of raw: ${(createShare * 100).toFixed(0)} % (${verdict(createShare >= 0.4)})`,
    `- read by id p50 <= 2x raw: ${readFactor.toFixed(2)}x (${verdict(readFactor <= 2)})`,
    '',
  ].join('\n');
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    return dirty ? `${rev} (server/ has uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

/** The URL without its password, for logs. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function main(): Promise<void> {
  // Never run forever: exiting also kills the server (see server-process.ts).
  setTimeout(() => {
    log(`gave up after ${TIMEOUT_S} s (BENCH_TIMEOUT_S)`);
    process.exit(1);
  }, TIMEOUT_S * 1000).unref();
  process.once('SIGINT', () => process.exit(130));

  log(`creates per phase ${CREATES} (+${WARMUP} warm-up), reads ${READS} (+${WARMUP} warm-up), database ${redacted(DATABASE_URL)}`);
  const pgVersion = await recreateDatabase(DATABASE_URL);
  log(`recreated the database (Postgres ${pgVersion})`);

  const port = await freePort();
  const http = new HttpClient(port, CLIENTS);
  const [control] = await connectClients(DATABASE_URL, 1);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    log(`starting Meridian on port ${port}`);
    const started = Date.now();
    server = await startServer({ repoRoot, port, databaseUrl: DATABASE_URL, client: http, exportFileBytes: EXPORT_FILE_BYTES });
    log(`Meridian answered /fhir/metadata after ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // One generated population for every phase; its practice first, as patients refer to it (not timed).
    const population = new Population({
      vitalSigns: 2 * (WARMUP + CREATES),
      searchPatients: SEARCH ? SEARCH_PATIENTS : 0,
      ingestPatients: INGEST ? INGEST_WARMUP + INGEST_BUNDLES : 0,
    });
    log(
      `population: seed '${POPULATION_SEED}', as of ${population.options.asOf}, ${population.size} patients ` +
        `(create phase ${population.createPatients}, search ${SEARCH ? SEARCH_PATIENTS : 0}, ingest ${INGEST ? INGEST_WARMUP + INGEST_BUNDLES : 0})`,
    );
    const practiceBundle = population.practice();
    const practiceLoad = await loadBundles(http, 'practice', [practiceBundle], 1, new Map());
    const practice = practiceIndex(practiceBundle, practiceLoad.ids[0]);
    const created: StoredRow[] = [...practiceLoad.rows]; // everything Meridian holds, as stored

    const data = await createData(http, population, practice, 2 * (WARMUP + CREATES));
    created.push(...data.loaded);
    const { single, multi } = data;
    const avgBytes = [...single, ...multi].reduce((sum, b) => sum + Buffer.byteLength(b), 0) / (single.length + multi.length);
    log(`${single.length + multi.length} vital-sign Observations from ${data.patients} patients' records; their JSON averages ${avgBytes.toFixed(0)} bytes`);

    // Raw first, so whatever state one side leaves behind (bloat, autovacuum) weighs on Meridian, not on the baseline.
    const raw = await rawBaseline(control, single, multi);
    const meridian = await meridianRest(http, control, single, multi, created);

    const context = [
      `${CREATES} timed creates per phase and ${READS} timed reads (each after ${WARMUP} warm-up requests); `,
      `vital-sign Observations from the seed generator (the records of ${data.patients} generated patients, loaded untimed without them), ${avgBytes.toFixed(0)} bytes of JSON on average; `,
      `${raw.spread}; `,
      `Postgres ${pgVersion}, Node ${process.version}, ${os.cpus().length} CPUs, Meridian DB_POOL_SIZE=16; git ${gitRevision()}.`,
    ].join('');
    const table = report(meridian, raw, context);
    process.stdout.write(`\n${table}`);
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    const latest = new URL('results/latest.md', import.meta.url);
    writeFileSync(latest, table);
    log('wrote bench/results/latest.md');

    let held = created; // everything Meridian holds, with its ids
    if (SEARCH) {
      // Same database, same server process: the search data joins what the phases above created.
      const search = await searchPhase(http, control, created, population.next(SEARCH_PATIENTS), practice, {
        databaseUrl: DATABASE_URL,
        runs: SEARCH_RUNS,
        warmup: SEARCH_WARMUP,
        loadClients: LOAD_CLIENTS,
        seed: SEED + 100,
      });
      const searchTable = searchReport(search.rows, search.context);
      process.stdout.write(`\n${searchTable}`);
      appendFileSync(latest, `\n${searchTable}`);
      log('appended the search table to bench/results/latest.md');
      held = search.held;
    }

    if (INGEST || EXPORT) {
      // Still the same database and server: the ingested patients join the rows above, and $export exports all of it.
      let ingest: IngestResult | undefined;
      let exported: ExportResult | undefined;
      if (INGEST) {
        ingest = await ingestPhase(http, control, population.next(INGEST_WARMUP + INGEST_BUNDLES), practice, {
          databaseUrl: DATABASE_URL,
          bundles: INGEST_BUNDLES,
          warmup: INGEST_WARMUP,
          clients: BULK_CLIENTS,
          rawRounds: RAW_ROUNDS,
        });
        held = [...held, ...ingest.held];
      }
      if (EXPORT) exported = await exportPhase(http, control, held, { databaseUrl: DATABASE_URL, fileBytes: EXPORT_FILE_BYTES, clients: BULK_CLIENTS });
      const context = `Postgres ${pgVersion}, Node ${process.version}, ${os.cpus().length} CPUs, Meridian DB_POOL_SIZE=16; git ${gitRevision()}.`;
      const bulkTable = bulkReport(ingest, exported, { clients: BULK_CLIENTS, fileBytes: EXPORT_FILE_BYTES, rawRounds: RAW_ROUNDS }, context);
      process.stdout.write(`\n${bulkTable}`);
      appendFileSync(latest, `\n${bulkTable}`);
      log('appended the bulk table to bench/results/latest.md');
    }

    if (TERMINOLOGY) {
      // Its CodeSystem and ValueSet are not in the export's types, and no search looks at them.
      const options = { databaseUrl: DATABASE_URL, concepts: TERMINOLOGY_CONCEPTS, runs: TERMINOLOGY_RUNS, warmup: TERMINOLOGY_WARMUP, clients: CLIENTS, seed: SEED + 300 };
      const terminology = await terminologyPhase(http, control, options);
      const context = `Postgres ${pgVersion}, Node ${process.version}, ${os.cpus().length} CPUs, Meridian DB_POOL_SIZE=16; git ${gitRevision()}.`;
      const terminologyTable = terminologyReport(terminology, options, context);
      process.stdout.write(`\n${terminologyTable}`);
      appendFileSync(latest, `\n${terminologyTable}`);
      log('appended the terminology table to bench/results/latest.md');
    }

    if (CDS) {
      // The create phase's patients (loaded whatever else is skipped); its AuditEvents join nothing the other phases compare.
      const options = { databaseUrl: DATABASE_URL, patients: CDS_PATIENTS, runs: CDS_RUNS, warmup: CDS_WARMUP, clients: CLIENTS };
      const cds = await cdsPhase(http, control, created, port, options);
      const context = `Postgres ${pgVersion}, Node ${process.version}, ${os.cpus().length} CPUs, Meridian DB_POOL_SIZE=16; git ${gitRevision()}.`;
      const cdsTable = cdsReport(cds, options, context);
      process.stdout.write(`\n${cdsTable}`);
      appendFileSync(latest, `\n${cdsTable}`);
      log('appended the CDS table to bench/results/latest.md');
    }

    if (SUBSCRIPTIONS) {
      // Last: its Observations (one Patient's heart rates, dated now) would otherwise join the search
      // data and the export, which compare with baselines that do not hold them.
      const subscriptions = await subscriptionPhase(http, control, { port, clients: SUB_CLIENTS, rate: SUB_RATE, seconds: SUB_SECONDS });
      const context = `Postgres ${pgVersion}, Node ${process.version}, ${os.cpus().length} CPUs, Meridian DB_POOL_SIZE=16; git ${gitRevision()}.`;
      const subscriptionTable = subscriptionReport(subscriptions, context);
      process.stdout.write(`\n${subscriptionTable}`);
      appendFileSync(latest, `\n${subscriptionTable}`);
      log('appended the subscription table to bench/results/latest.md');
    }
  } finally {
    await server?.stop();
    http.close();
    await control.end();
  }
}

main().catch((err: unknown) => {
  log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
