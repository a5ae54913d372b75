// The CDS phase: POST /cds-services/order-sign (CDS Hooks 2.0) for draft MedicationRequests of the
// create phase's patients, (a) with the prefetch filled by the bench (fetched from Meridian beforehand,
// untimed) and (b) without prefetch, Meridian fetching it from its own FHIR base (fhirServer =
// Meridian, a fhirAuthorization token that AUTH_MODE=open does not check). Next to plain `pg` reading
// the same prefetch rows from a table of the same resources: the data access alone.
// Measured from outside over HTTP. See bench/README.md, "CDS Hooks".
import { randomUUID } from 'node:crypto';
import type { Bundle, MedicationRequest } from '@medplum/fhirtypes';
import type pg from 'pg';
import { checkpoint, connectClients } from './database.js';
import { expectOk, type HttpClient, type HttpResponse, log, measureRuns as measure, percentile, type Timed } from './harness.js';
import type { StoredRow } from './population.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const RAW_TABLE = 'bench_cds_raw';
const LOINC = 'http://loinc.org';
const WEIGHT = ['29463-7'];
const RENAL = ['2160-0', '62238-1', '98979-8', '33914-3'];

/**
 * The draft orders, one per request, in turn: naproxen (an NSAID: warfarin and SSRI interactions, renal
 * dosing below eGFR 30), clarithromycin (statin interactions, renal dosing) and amoxicillin (penicillin
 * allergy, duplicate therapy with an active amoxicillin). Each an RxNorm SCD of the shipped RxNorm.
 */
const DRUGS = [
  { rxnorm: '198014', display: 'naproxen 500 MG Oral Tablet', unit: 'tablet', perDay: 2 },
  { rxnorm: '197517', display: 'clarithromycin 500 MG Oral Tablet', unit: 'tablet', perDay: 2 },
  { rxnorm: '308191', display: 'amoxicillin 500 MG Oral Capsule', unit: 'capsule', perDay: 2 },
];

export interface CdsOptions {
  databaseUrl: string;
  patients: number;
  runs: number;
  warmup: number;
  clients: number;
}

export interface CdsRow {
  clients: number;
  prefetch: Timed;
  server: Timed;
  raw: Timed;
}

export interface CdsResult {
  rows: CdsRow[];
  patients: number;
  requests: number;
  /** Over the distinct requests: how many got cards, the cards' rules, the prefetch's size. */
  withCards: number;
  rules: Map<string, number>;
  prefetchBytes: number;
  templates: Record<string, string>;
  /** The bench's own prefetch GETs over HTTP (second pass, 1 client): p50 per key and of the five in turn, in ms. */
  keyP50: Record<string, number>;
  clientFetchP50: number;
}

interface HookRequest {
  patientId: string;
  context: Record<string, unknown>;
}

const refOf = (row: StoredRow): string | undefined => {
  const content = JSON.parse(row.content) as { subject?: { reference?: string }; patient?: { reference?: string } };
  const ref = row.resourceType === 'AllergyIntolerance' ? content.patient?.reference : content.subject?.reference;
  return ref?.startsWith('Patient/') ? ref.slice('Patient/'.length) : undefined;
};

/** The CDS Hooks template with context.patientId and the user tokens filled, as the server does (templates.ts). */
function render(template: string, context: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z.]+)\s*\}\}/g, (_, token: string) => {
    if (token === 'context.patientId') return encodeURIComponent(String(context.patientId));
    if (token === 'context.userId') return encodeURIComponent(String(context.userId));
    if (token === 'userPractitionerId') return encodeURIComponent(String(context.userId).split('/')[1]);
    throw new Error(`cds: prefetch template token {{${token}}} is not one the bench fills`);
  });
}

// ---- raw pg: the same prefetch queries, hand-written ----------------------------------------------

/**
 * The five prefetch templates of the medication services as SQL on bench_cds_raw (one row per resource,
 * its patient's id and its first coding's system|code extracted at load, as a hand-written schema would).
 * The dates compare as timestamptz (the generator writes local times with offsets).
 */
const RAW_SQL = {
  patient: `SELECT content FROM ${RAW_TABLE} WHERE resource_type = 'Patient' AND id = $1`,
  medications: `SELECT content FROM ${RAW_TABLE} WHERE resource_type = 'MedicationRequest' AND patient = $1 AND content->>'status' = 'active' ORDER BY id`,
  allergies: `SELECT content FROM ${RAW_TABLE} WHERE resource_type = 'AllergyIntolerance' AND patient = $1 ORDER BY id`,
  weight: `SELECT content FROM ${RAW_TABLE} WHERE resource_type = 'Observation' AND patient = $1 AND token = ANY($2) ORDER BY (content->>'effectiveDateTime')::timestamptz DESC, id LIMIT 1`,
  renal: `SELECT content FROM ${RAW_TABLE} WHERE resource_type = 'Observation' AND patient = $1 AND token = ANY($2) ORDER BY (content->>'effectiveDateTime')::timestamptz DESC, id LIMIT 5`,
};

async function rawPrefetch(client: pg.Client, patientId: string): Promise<Record<string, string[]>> {
  const ids = (rows: { content: { id: string } }[]) => rows.map((r) => r.content.id);
  const patient = await client.query(RAW_SQL.patient, [patientId]);
  const medications = await client.query(RAW_SQL.medications, [patientId]);
  const allergies = await client.query(RAW_SQL.allergies, [patientId]);
  const weight = await client.query(RAW_SQL.weight, [patientId, WEIGHT.map((c) => `${LOINC}|${c}`)]);
  const renal = await client.query(RAW_SQL.renal, [patientId, RENAL.map((c) => `${LOINC}|${c}`)]);
  return { patient: ids(patient.rows), medications: ids(medications.rows), allergies: ids(allergies.rows), weight: ids(weight.rows), renal: ids(renal.rows) };
}

async function loadRaw(control: pg.Client, rows: StoredRow[]): Promise<void> {
  await control.query(`CREATE TABLE ${RAW_TABLE} (id text PRIMARY KEY, resource_type text NOT NULL, patient text, token text, content jsonb NOT NULL)`);
  const token = (row: StoredRow) => {
    const coding = (JSON.parse(row.content) as { code?: { coding?: { system?: string; code?: string }[] } }).code?.coding?.[0];
    return coding?.system && coding.code ? `${coding.system}|${coding.code}` : null;
  };
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await control.query(`INSERT INTO ${RAW_TABLE} (id, resource_type, patient, token, content) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])`, [
      chunk.map((r) => r.id),
      chunk.map((r) => r.resourceType),
      chunk.map((r) => (r.resourceType === 'Patient' ? r.id : (refOf(r) ?? null))),
      chunk.map(token),
      chunk.map((r) => r.content),
    ]);
  }
  await control.query(`CREATE INDEX ${RAW_TABLE}_patient ON ${RAW_TABLE} (patient, resource_type, token)`);
  await control.query(`VACUUM (ANALYZE) ${RAW_TABLE}`);
}

// ---- the phase --------------------------------------------------------------------------------------

interface CdsCardOut {
  summary?: string;
  indicator?: string;
  source?: { topic?: { code?: string } };
}

/** The cards of a response, checked (200, a cards array): "indicator summary" in order, and the rules. */
function cardsOf(res: HttpResponse, what: string): { summaries: string[]; rules: string[] } {
  expectOk(what, res);
  const body = JSON.parse(res.body) as { cards?: CdsCardOut[] };
  if (res.status !== 200 || !Array.isArray(body.cards)) throw new Error(`cds: ${what} answered ${res.status} without a cards array: ${res.body.slice(0, 2000)}`);
  return { summaries: body.cards.map((c) => `${c.indicator} ${c.summary}`), rules: body.cards.map((c) => c.source?.topic?.code ?? '?') };
}

/**
 * `held`: what Meridian holds, as stored (the create phase's records and vital signs at least). The
 * phase's patients are the first `options.patients` Patients among them with an active MedicationRequest.
 */
export async function cdsPhase(http: HttpClient, control: pg.Client, held: StoredRow[], port: number, options: CdsOptions): Promise<CdsResult> {
  const { databaseUrl, runs, warmup, clients } = options;
  const fhirServer = `http://127.0.0.1:${port}/fhir`;

  // Discovery: the service's prefetch templates.
  const discovery = JSON.parse(expectOk('GET /cds-services', await http.request('GET', '/cds-services', undefined, { accept: 'application/json' })).body) as {
    services: { id: string; hook: string; prefetch?: Record<string, string> }[];
  };
  const service = discovery.services.find((s) => s.id === 'order-sign');
  if (!service?.prefetch) throw new Error('cds: GET /cds-services lists no order-sign service with prefetch templates');
  const templates = service.prefetch;

  // The patients and their resources.
  const byPatient = new Map<string, StoredRow[]>();
  for (const row of held) {
    const p = row.resourceType === 'Patient' ? row.id : ['MedicationRequest', 'AllergyIntolerance', 'Observation'].includes(row.resourceType) ? refOf(row) : undefined;
    if (!p) continue;
    if (!byPatient.has(p)) byPatient.set(p, []);
    byPatient.get(p)!.push(row);
  }
  const activeMeds = (rows: StoredRow[]) => rows.some((r) => r.resourceType === 'MedicationRequest' && (JSON.parse(r.content) as MedicationRequest).status === 'active');
  const patients = [...byPatient.entries()].filter(([id, rows]) => rows.some((r) => r.resourceType === 'Patient' && r.id === id) && activeMeds(rows)).slice(0, options.patients);
  if (patients.length < options.patients) log(`cds: only ${patients.length} patients with an active MedicationRequest (BENCH_CDS_PATIENTS ${options.patients})`);
  if (!patients.length) throw new Error('cds: no patient with an active MedicationRequest');
  const practitioner = held.find((r) => r.resourceType === 'Practitioner')?.id ?? 'bench';

  // The distinct requests: each patient with each draft drug.
  const requests: HookRequest[] = patients.flatMap(([patientId], p) =>
    DRUGS.map((drug, d) => {
      const order: MedicationRequest = {
        resourceType: 'MedicationRequest',
        id: `bench-draft-${p}-${d}`,
        status: 'draft',
        intent: 'order',
        subject: { reference: `Patient/${patientId}` },
        authoredOn: '2026-11-01',
        medicationCodeableConcept: { coding: [{ system: RXNORM, code: drug.rxnorm, display: drug.display }], text: drug.display },
        dosageInstruction: [
          {
            timing: { repeat: { frequency: drug.perDay, period: 1, periodUnit: 'd' } },
            doseAndRate: [{ doseQuantity: { value: 1, unit: drug.unit, system: UCUM, code: `{${drug.unit}}` } }],
          },
        ],
      };
      const draftOrders: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: order }] };
      return { patientId, context: { userId: `Practitioner/${practitioner}`, patientId, draftOrders } };
    }),
  );

  // (a)'s prefetch: the templates rendered and fetched from Meridian by the bench (untimed).
  const prefetches = new Map<string, Record<string, unknown>>();
  const meridianIds = new Map<string, Record<string, string[]>>();
  for (const [patientId] of patients) {
    const context = { patientId, userId: `Practitioner/${practitioner}` };
    const prefetch: Record<string, unknown> = {};
    const ids: Record<string, string[]> = {};
    for (const [key, template] of Object.entries(templates)) {
      const path = `/fhir/${render(template, context)}`;
      const body = JSON.parse(expectOk(`cds prefetch GET ${path}`, await http.request('GET', path)).body) as { resourceType: string; id: string; entry?: { resource: { id: string }; search?: { mode?: string } }[] };
      prefetch[key] = body;
      ids[key] = body.resourceType === 'Bundle' ? (body.entry ?? []).filter((e) => e.search?.mode !== 'include' && e.search?.mode !== 'outcome').map((e) => e.resource.id) : [body.id];
    }
    prefetches.set(patientId, prefetch);
    meridianIds.set(patientId, ids);
  }
  const prefetchBytes = [...prefetches.values()].reduce((n, p) => n + JSON.stringify(p).length, 0) / prefetches.size;
  const bodyA = (r: HookRequest) => JSON.stringify({ hook: 'order-sign', hookInstance: randomUUID(), context: r.context, prefetch: prefetches.get(r.patientId) });
  const bodyB = (r: HookRequest) =>
    JSON.stringify({
      hook: 'order-sign',
      hookInstance: randomUUID(),
      fhirServer,
      fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 300, scope: 'user/*.rs', subject: 'bench' },
      context: r.context,
    });
  const post = (body: string) => http.request('POST', '/cds-services/order-sign', body, { accept: 'application/json' });

  // Raw side: the same resources in a plain table; its rows must be the ones Meridian's searches answer.
  const rawRows = patients.flatMap(([, rows]) => rows);
  await loadRaw(control, rawRows);
  log(`cds: ${patients.length} patients, ${requests.length} distinct requests (${DRUGS.length} draft drugs each); raw table ${RAW_TABLE} of their ${rawRows.length} resources`);
  // As the search phase: statistics for the whole database (Meridian's tables too). Without them, in a
  // bench database a few minutes old that autovacuum has not analyzed yet, Meridian's `_sort=-date`
  // subquery is planned as a backward scan of search_date's (resource_type, param, high) index,
  // ~2 ms per match: the weight and renal searches took ~37 ms each (2026-12-02).
  await control.query('VACUUM (ANALYZE)');
  // The same GETs again, timed (what a CDS client pays to fill the prefetch over HTTP, key by key).
  const keyTimes: Record<string, number[]> = Object.fromEntries(Object.keys(templates).map((k) => [k, []]));
  const totals: number[] = [];
  for (const [patientId] of patients) {
    const context = { patientId, userId: `Practitioner/${practitioner}` };
    let total = 0;
    for (const [key, template] of Object.entries(templates)) {
      const path = `/fhir/${render(template, context)}`;
      const t0 = performance.now();
      expectOk(`cds prefetch GET ${path}`, await http.request('GET', path));
      const t = performance.now() - t0;
      keyTimes[key].push(t);
      total += t;
    }
    totals.push(total);
  }
  const p50 = (xs: number[]) => percentile(Float64Array.from(xs), 50);
  const keyP50 = Object.fromEntries(Object.entries(keyTimes).map(([k, xs]) => [k, p50(xs)]));
  const clientFetchP50 = p50(totals);
  log(`cds: the bench's prefetch GETs over HTTP, p50 per key: ${Object.entries(keyP50).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}; the five in turn ${clientFetchP50.toFixed(2)} ms`);

  const raw = await connectClients(databaseUrl, clients);
  try {
    for (const [patientId] of patients) {
      const r = await rawPrefetch(raw[0], patientId);
      const m = meridianIds.get(patientId)!;
      for (const key of Object.keys(templates)) {
        const a = [...(m[key] ?? [])].sort().join();
        const b = [...(r[key] ?? [])].sort().join();
        if (a !== b) throw new Error(`cds: prefetch ${key} of Patient/${patientId}: Meridian [${a}], raw pg [${b}]`);
      }
    }
    log('cds: the raw queries return the rows of Meridian\'s prefetch searches for every patient');

    // Up-front: every distinct request once each way, the cards the same (by summary, in order).
    const rules = new Map<string, number>();
    let withCards = 0;
    const expected: string[] = [];
    for (const [i, r] of requests.entries()) {
      const a = cardsOf(await post(bodyA(r)), `order-sign with prefetch (request ${i})`);
      const b = cardsOf(await post(bodyB(r)), `order-sign without prefetch (request ${i})`);
      if (a.summaries.join('\n') !== b.summaries.join('\n')) {
        throw new Error(`cds: request ${i} (Patient/${r.patientId}): the cards with prefetch differ from those without:\n  with:    ${a.summaries.join(' | ')}\n  without: ${b.summaries.join(' | ')}`);
      }
      expected.push(a.summaries.join('\n'));
      if (a.rules.length) withCards++;
      for (const rule of a.rules) rules.set(rule, (rules.get(rule) ?? 0) + 1);
    }
    log(`cds: ${withCards} of ${requests.length} requests get cards (${[...rules].map(([k, v]) => `${k} ${v}`).join(', ')}); with and without prefetch agree`);
    await checkpoint(control);

    const n = warmup + runs;
    const pick = (i: number) => requests[i % requests.length];
    const resultRows: CdsRow[] = [];
    for (const workers of [1, clients]) {
      const suffix = workers === 1 ? '1 client' : `${workers} clients`;
      const rawT = await measure(`raw prefetch queries ${workers === 1 ? '1 connection' : `${workers} connections`}`, workers, warmup, runs, async (i, w) => {
        await rawPrefetch(raw[w], pick(i).patientId);
      });
      // Bodies made before timing (hookInstance is per request); responses checked after.
      const bodiesA = Array.from({ length: n }, (_, i) => bodyA(pick(i)));
      const answersA: HttpResponse[] = [];
      const tA = await measure(`Meridian order-sign with prefetch ${suffix}`, workers, warmup, runs, async (i) => {
        answersA[i] = await post(bodiesA[i]);
      });
      const bodiesB = Array.from({ length: n }, (_, i) => bodyB(pick(i)));
      const answersB: HttpResponse[] = [];
      const tB = await measure(`Meridian order-sign without prefetch ${suffix}`, workers, warmup, runs, async (i) => {
        answersB[i] = await post(bodiesB[i]);
      });
      for (let i = 0; i < n; i++) {
        const want = expected[i % requests.length];
        const a = cardsOf(answersA[i], `order-sign with prefetch (run ${i})`).summaries.join('\n');
        const b = cardsOf(answersB[i], `order-sign without prefetch (run ${i})`).summaries.join('\n');
        if (a !== want || b !== want) throw new Error(`cds: run ${i} (Patient/${pick(i).patientId}): cards differ from the first answer:\n  first: ${want}\n  with prefetch: ${a}\n  without: ${b}`);
      }
      resultRows.push({ clients: workers, prefetch: tA, server: tB, raw: rawT });
    }
    return { rows: resultRows, patients: patients.length, requests: requests.length, withCards, rules, prefetchBytes, templates, keyP50, clientFetchP50 };
  } finally {
    await Promise.all(raw.map((c) => c.end()));
  }
}

export function cdsReport(r: CdsResult, options: CdsOptions, context: string): string {
  const ms = (n: number) => n.toFixed(3);
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  const row = (label: string, clients: number, t: Timed, ratio: string) => `| ${label} | ${clients} | ${ms(t.p50)} | ${ms(t.p99)} | ${rate(t.rate)} | ${ratio} |`;
  return [
    `## Meridian CDS Hooks order-sign (${new Date().toISOString()})`,
    '',
    `${r.patients} patients of the create phase with an active MedicationRequest, ${DRUGS.length} draft MedicationRequests each (one per request: ${DRUGS.map((d) => d.display).join(', ')}): ` +
      `${r.requests} distinct requests, ${r.withCards} of them with cards (${[...r.rules].map(([k, v]) => `${k} ${v}`).join(', ')}). ` +
      `${options.runs} timed requests per row (after ${options.warmup} warm-up), cycling through them. Prefetch (5 keys: ${Object.keys(r.templates).join(', ')}) ${(r.prefetchBytes / 1024).toFixed(1)} KB of JSON per patient on average. ${context}`,
    '',
    '| measure | clients | p50 (ms) | p99 (ms) | req/s | ratio (p50) |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.rows.flatMap((x) => [
      row('(a) order-sign with prefetch', x.clients, x.prefetch, '1.00'),
      row('(b) order-sign without prefetch (server fetch)', x.clients, x.server, `${(x.server.p50 / x.prefetch.p50).toFixed(2)} of (a)`),
      row('raw pg: the 5 prefetch queries', x.clients, x.raw, `(b) / raw ${(x.server.p50 / x.raw.p50).toFixed(2)}`),
    ]),
    '',
    `The bench's own prefetch GETs over HTTP (1 client, after a first pass; p50 over the patients): ${Object.entries(r.keyP50).map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}; the five in turn ${r.clientFetchP50.toFixed(2)} ms.`,
    '',
    '(a): the bench fetched the prefetch from Meridian beforehand (untimed) and sends it. (b): fhirServer = Meridian, which fetches the 5 templates through its own request pipeline. ' +
      'Raw pg: the same 5 queries, hand-written, on a table of the same resources, one connection per client, sequentially. Every answer is a 200 with the same cards with and without prefetch (checked).',
    '',
  ].join('\n');
}
