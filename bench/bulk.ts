// The bulk phases of `npm run bench`: ingest of patient transaction Bundles through Meridian next to
// multi-row INSERTs of the same resources with plain `pg`, then a system-level $export of everything
// Meridian holds next to plain `pg` reading the same rows into ndjson files. See bench/README.md,
// "Bulk: ingest and export".
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import type pg from 'pg';
import { checkpoint, connectClients, createExportRawTable, createIngestRawTable, EXPORT_RAW_PAGE, insertIngestRaw } from './database.js';
import { expectOk, log, runWorkers, type HttpClient } from './harness.js';
import { checkStored, storedRows, transactionIds, type PracticeIndex, type StoredRow } from './population.js';

export interface IngestSettings {
  databaseUrl: string;
  /** Timed Bundles (one patient each). */
  bundles: number;
  /** Untimed Bundles before each timed run. */
  warmup: number;
  /** Concurrent HTTP clients / pg connections. */
  clients: number;
  /** Repetitions of the raw run (fresh ids), median kept. */
  rawRounds: number;
}

export interface IngestResult {
  meridian: number;
  raw: number;
  rawSpread: string;
  /** Timed resources (each side), and what the Bundles look like. */
  resources: number;
  bundles: number;
  entriesMin: number;
  entriesMax: number;
  avgBytes: number;
  /** Everything the ingest created in Meridian (warm-up included), as stored. */
  held: StoredRow[];
}

export interface ExportSettings {
  databaseUrl: string;
  /** Bytes per ndjson file, on both sides (Meridian runs with EXPORT_FILE_BYTES set to it). */
  fileBytes: number;
  /** Concurrent downloads of the manifest's files. */
  clients: number;
}

export interface ExportResult {
  meridian: { seconds: number; resources: number; files: number; bytes: number };
  raw: { seconds: number; resources: number; files: number; bytes: number };
  types: string[];
}

const AIM = 0.3; // ingest with all search indexes on >= 30 % of raw multi-row INSERTs
const POLL_MS = 50; // status polls while the export runs: the time is known to about this much
const PAGE = 1000; // rows per page of the raw export (Meridian's export reads 1000 at a time too)

/**
 * Ids and rewrites done up front, so the timed loop is only the INSERT: fresh ids, urn:uuid references
 * to them, conditional references to the practice resources' ids in Meridian (as a migration maps them).
 */
function rawStatements(bundles: Bundle[], practice: PracticeIndex): { sql: string; params: string[] }[] {
  return bundles.map((bundle) => {
    const ids = (bundle.entry ?? []).map(() => randomUUID());
    const rows = storedRows(bundle, (i) => ids[i], practice);
    return { sql: insertIngestRaw(rows.length), params: rows.flatMap((r) => [r.id, r.resourceType, r.content]) };
  });
}

async function rawIngest(control: pg.Client, bundles: Bundle[], practice: PracticeIndex, settings: IngestSettings, timedResources: number): Promise<{ median: number; spread: string }> {
  log('raw pg: bare table bench_ingest_raw (id text primary key, resource_type text, content jsonb), one multi-row INSERT per Bundle');
  await createIngestRawTable(control);
  const clients = await connectClients(settings.databaseUrl, settings.clients);
  try {
    const rates: number[] = [];
    for (let round = 1; round <= settings.rawRounds; round++) {
      const statements = rawStatements(bundles, practice);
      const insert = async (i: number, w: number) => {
        await clients[w].query(statements[i].sql, statements[i].params);
      };
      const label = `raw ingest ${settings.clients} connections, round ${round}/${settings.rawRounds}`;
      await runWorkers(`${label} warm-up`, settings.clients, settings.warmup, insert);
      await checkpoint(control);
      const { seconds } = await runWorkers(label, settings.clients, settings.bundles, (i, w) => insert(settings.warmup + i, w));
      rates.push(timedResources / seconds);
      log(`${label}: ${timedResources} resources in ${settings.bundles} INSERTs, ${seconds.toFixed(2)} s = ${(timedResources / seconds).toFixed(0)} resources/s`);
    }
    rates.sort((a, b) => a - b);
    return { median: rates[Math.floor(rates.length / 2)], spread: `${Math.round(rates[0])}–${Math.round(rates[rates.length - 1])}` };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

async function meridianIngest(http: HttpClient, control: pg.Client, bundles: Bundle[], practice: PracticeIndex, settings: IngestSettings, timedResources: number) {
  const bodies = bundles.map((b) => JSON.stringify(b));
  const ids: string[][] = new Array(bundles.length);
  const post = async (i: number) => {
    const res = expectOk('POST /fhir (transaction Bundle)', await http.request('POST', '/fhir', bodies[i], { prefer: 'return=minimal' }));
    ids[i] = transactionIds(res, bundles[i]);
  };
  const label = `Meridian ingest ${settings.clients} clients`;
  await runWorkers(`${label} warm-up`, settings.clients, settings.warmup, post);
  await checkpoint(control);
  const { seconds } = await runWorkers(label, settings.clients, settings.bundles, (i) => post(settings.warmup + i));
  const rate = timedResources / seconds;
  log(`${label}: ${timedResources} resources in ${settings.bundles} transactions, ${seconds.toFixed(2)} s = ${rate.toFixed(0)} resources/s`);
  const held = bundles.flatMap((bundle, b) => storedRows(bundle, (i) => ids[b][i], practice));
  await checkStored(http, storedRows(bundles[settings.warmup], (i) => ids[settings.warmup][i], practice), 'ingest');
  return { rate, held };
}

/**
 * Runs the raw baseline, then Meridian, on the same generated patient Bundles (warm-up first; the
 * practice they refer to is loaded already). Meridian keeps what it ingested: the export phase exports it.
 */
export async function ingestPhase(http: HttpClient, control: pg.Client, bundles: Bundle[], practice: PracticeIndex, settings: IngestSettings): Promise<IngestResult> {
  const timed = bundles.slice(settings.warmup);
  const sizes = timed.map((b) => b.entry?.length ?? 0);
  const resources = sizes.reduce((n, s) => n + s, 0);
  const bytes = timed.reduce((n, b) => n + (b.entry ?? []).reduce((m, e) => m + Buffer.byteLength(JSON.stringify(e.resource)), 0), 0);
  log(`ingest: ${settings.bundles} generated patient Bundles (+${settings.warmup} warm-up), ${resources} resources, ${Math.min(...sizes)}–${Math.max(...sizes)} entries each`);

  const raw = await rawIngest(control, bundles, practice, settings, resources);
  const meridian = await meridianIngest(http, control, bundles, practice, settings, resources);
  return {
    meridian: meridian.rate,
    raw: raw.median,
    rawSpread: raw.spread,
    resources,
    bundles: settings.bundles,
    entriesMin: Math.min(...sizes),
    entriesMax: Math.max(...sizes),
    avgBytes: bytes / resources,
    held: meridian.held,
  };
}

interface Manifest {
  output?: { type: string; url: string; count: number }[];
}

/** Kick-off, polls, downloads: timed from the kick-off request to the last file received. */
async function meridianExport(http: HttpClient, types: string[], settings: ExportSettings) {
  const started = process.hrtime.bigint();
  const kickoffPath = `/fhir/$export?_type=${types.join(',')}`;
  const kickoff = expectOk(`GET ${kickoffPath}`, await http.request('GET', kickoffPath, undefined, { prefer: 'respond-async' }));
  const location = kickoff.headers['content-location'];
  if (kickoff.status !== 202 || !location) throw new Error(`GET ${kickoffPath} answered ${kickoff.status} without a Content-Location; response body:\n${kickoff.body.slice(0, 4000)}`);
  const statusPath = new URL(location).pathname;
  let polls = 0;
  let progress = '';
  let lastLog = Date.now();
  let manifest: Manifest;
  for (;;) {
    const res = expectOk(`GET ${statusPath}`, await http.request('GET', statusPath));
    polls++;
    if (res.status === 200) {
      manifest = JSON.parse(res.body) as Manifest;
      break;
    }
    if (res.status !== 202) throw new Error(`GET ${statusPath} answered ${res.status}; response body:\n${res.body.slice(0, 4000)}`);
    progress = String(res.headers['x-progress'] ?? '');
    if (Date.now() - lastLog > 2000) {
      lastLog = Date.now();
      log(`  Meridian export: ${progress}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const ready = Number(process.hrtime.bigint() - started) / 1e9;
  const output = manifest.output ?? [];
  const bodies: string[] = new Array(output.length);
  await runWorkers('Meridian export download', settings.clients, output.length, async (i) => {
    const filePath = new URL(output[i].url).pathname;
    bodies[i] = expectOk(`GET ${filePath}`, await http.request('GET', filePath, undefined, { accept: 'application/fhir+ndjson' })).body;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`Meridian export: manifest after ${ready.toFixed(2)} s (${polls} polls), ${output.length} files downloaded after ${seconds.toFixed(2)} s`);
  return { seconds, output, bodies };
}

/** Plain pg: each type in id-ordered pages, the JSON text joined into ndjson files of at most fileBytes, written to a temporary folder. */
async function rawExport(db: pg.Client, types: string[], settings: ExportSettings) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meridian-bench-export-'));
  try {
    const started = process.hrtime.bigint();
    let files = 0;
    let resources = 0;
    let bytes = 0;
    for (const type of types) {
      let lines: string[] = [];
      let size = 0;
      let part = 0;
      const flush = async () => {
        if (!lines.length) return;
        const text = lines.join('\n') + '\n';
        await writeFile(path.join(dir, `${type}-${++part}.ndjson`), text);
        files++;
        bytes += Buffer.byteLength(text);
        lines = [];
        size = 0;
      };
      for (let after = ''; ; ) {
        const { rows } = await db.query<{ id: string; json: string }>(EXPORT_RAW_PAGE, [type, after, PAGE]);
        for (const row of rows) {
          if (size + row.json.length > settings.fileBytes && lines.length) await flush();
          lines.push(row.json);
          size += row.json.length + 1;
        }
        resources += rows.length;
        if (rows.length < PAGE) break;
        after = rows[rows.length - 1].id;
      }
      await flush();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    log(`raw export: ${resources} resources in ${files} files, ${seconds.toFixed(2)} s = ${(resources / seconds).toFixed(0)} resources/s`);
    return { seconds, resources, files, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Loads the baseline with everything Meridian holds (`held`), vacuums, exports on both sides (raw
 * first), then checks that Meridian's files hold exactly those resources.
 */
export async function exportPhase(http: HttpClient, control: pg.Client, held: StoredRow[], settings: ExportSettings): Promise<ExportResult> {
  const types = [...new Set(held.map((r) => r.resourceType))].sort();
  const started = Date.now();
  const rows = held;
  await createExportRawTable(control, rows);
  log(`raw pg: bench_export_raw holds the same ${rows.length} resources (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  // As in the search phase: statistics and visibility maps as autovacuum would leave them in time.
  await control.query('VACUUM (ANALYZE)');
  await checkpoint(control);
  log('VACUUM (ANALYZE) and CHECKPOINT done');

  const [db] = await connectClients(settings.databaseUrl, 1);
  let raw: Awaited<ReturnType<typeof rawExport>>;
  try {
    raw = await rawExport(db, types, settings);
  } finally {
    await db.end();
  }
  await checkpoint(control);
  const meridian = await meridianExport(http, types, settings);

  // Same resources on both sides: per type, the manifest's counts, the lines, and the ids.
  const expected = new Map<string, Set<string>>();
  for (const r of held) {
    if (!expected.has(r.resourceType)) expected.set(r.resourceType, new Set());
    expected.get(r.resourceType)!.add(r.id);
  }
  const seen = new Map<string, Set<string>>();
  let bytes = 0;
  meridian.output.forEach((file, i) => {
    const body = meridian.bodies[i];
    bytes += Buffer.byteLength(body);
    const lines = body.split('\n').filter((l) => l.length);
    if (lines.length !== file.count) throw new Error(`export file ${file.url} has ${lines.length} lines, the manifest says ${file.count}`);
    if (!seen.has(file.type)) seen.set(file.type, new Set());
    for (const line of lines) {
      const resource = JSON.parse(line) as { resourceType: string; id: string };
      if (resource.resourceType !== file.type) throw new Error(`export file ${file.url} (${file.type}) holds a ${resource.resourceType}`);
      seen.get(file.type)!.add(resource.id);
    }
  });
  for (const type of types) {
    const want = expected.get(type)!;
    const got = seen.get(type) ?? new Set<string>();
    const missing = [...want].filter((id) => !got.has(id));
    const extra = [...got].filter((id) => !want.has(id));
    if (missing.length || extra.length) {
      throw new Error(`$export of ${type}: ${got.size} exported, ${want.size} held; missing ${missing.slice(0, 5).join(' ')}${missing.length > 5 ? ' ...' : ''}; not expected ${extra.slice(0, 5).join(' ')}`);
    }
  }
  const resources = meridian.output.reduce((n, f) => n + f.count, 0);
  log(`Meridian export: ${resources} resources of ${types.length} types in ${meridian.output.length} files, the same as held (${(resources / meridian.seconds).toFixed(0)} resources/s)`);
  return { meridian: { seconds: meridian.seconds, resources, files: meridian.output.length, bytes }, raw, types };
}

export function bulkReport(ingest: IngestResult | undefined, exported: ExportResult | undefined, settings: { clients: number; fileBytes: number; rawRounds: number }, context: string): string {
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  const ratio = (n: number) => n.toFixed(n < 0.1 ? 3 : 2);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const lines = [`## Meridian bulk ingest and $export vs raw pg (${new Date().toISOString()})`, ''];
  const rows: string[] = [];
  const notes: string[] = [];
  const aims: string[] = [];
  if (ingest) {
    const share = ingest.meridian / ingest.raw;
    notes.push(
      `Ingest: ${ingest.bundles} generated patient transaction Bundles (seed/; ${ingest.entriesMin}–${ingest.entriesMax} entries, ${(ingest.resources / ingest.bundles).toFixed(1)} on average; ` +
        `${ingest.resources} resources of ${ingest.avgBytes.toFixed(0)} bytes on average), ${settings.clients} concurrent clients / connections, after a warm-up; ` +
        `Meridian: POST /fhir with Prefer: return=minimal, every entry a conditional create (ifNoneExist on its seed identifier), urn:uuid and conditional references to the practice resolved, all search indexes on; ` +
        `raw pg: one multi-row INSERT per Bundle into bench_ingest_raw (primary key only), references resolved beforehand, no identifier check, median of ${settings.rawRounds} rounds (${ingest.rawSpread} resources/s).`,
    );
    rows.push(`| ingest, ${settings.clients} clients (resources/s) | ${rate(ingest.meridian)} | ${rate(ingest.raw)} | ${ratio(share)} |`);
    aims.push(`- ingest with ${settings.clients} clients >= ${AIM * 100} % of raw multi-row INSERTs: ${(share * 100).toFixed(share < 0.1 ? 1 : 0)} % (${share >= AIM ? 'met' : 'NOT met'})`);
  }
  if (exported) {
    const { meridian: m, raw: r } = exported;
    notes.push(
      `Export: system-level $export of ${exported.types.join(', ')}: ${m.resources} resources (everything the bench created), ${mb(m.bytes)} MB of ndjson, ` +
        `files of at most ${mb(settings.fileBytes)} MB; Meridian ${m.seconds.toFixed(2)} s from kick-off to the last of ${m.files} files downloaded ` +
        `(status polled every ${POLL_MS} ms, ${settings.clients} concurrent downloads), every exported id checked against what was created; ` +
        `raw pg ${r.seconds.toFixed(2)} s: bench_export_raw read per type in id-ordered pages of ${PAGE} (1 connection), written as ndjson files to a temporary folder.`,
    );
    rows.push(`| $export (resources/s) | ${rate(m.resources / m.seconds)} | ${rate(r.resources / r.seconds)} | ${ratio(m.resources / m.seconds / (r.resources / r.seconds))} |`);
    rows.push(`| $export files | ${m.files} | ${r.files} | |`);
    aims.push('- $export: no aim set yet; the ratio is recorded for comparison between runs');
  }
  lines.push(...notes.flatMap((n) => [n, '']), context, '', '| measure | Meridian (HTTP) | raw pg | ratio |', '|---|---:|---:|---:|', ...rows, '');
  lines.push('ratio = Meridian / raw pg; rates: higher is better (1.00 = as fast as raw pg).', '', 'Aims:', ...aims, '');
  return lines.join('\n');
}
