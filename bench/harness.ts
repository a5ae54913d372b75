// Timing helpers shared by the Meridian and raw-pg phases: a small keep-alive HTTP client,
// concurrent workers over a shared counter, percentiles, progress lines on stderr, a seeded PRNG.
import http from 'node:http';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** node:http over one keep-alive Agent: far less client overhead than fetch, so the server is what we time. */
export class HttpClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly port: number,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** `extra` headers are added to (or replace) the defaults, e.g. `prefer`, or `accept` for ndjson. */
  request(method: string, path: string, body?: string, extra: http.OutgoingHttpHeaders = {}): Promise<HttpResponse> {
    const headers: http.OutgoingHttpHeaders = { accept: 'application/fhir+json', ...extra };
    if (body !== undefined) {
      headers['content-type'] = 'application/fhir+json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // A stuck request must fail the bench, not hang it.
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} got no answer in 30 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Throws (aborting the bench) with the response body when the status is not 2xx. */
export function expectOk(what: string, res: HttpResponse): HttpResponse {
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${what} failed with HTTP ${res.status}; response body:\n${res.body.slice(0, 4000)}`);
  }
  return res;
}

/**
 * Runs op(0..total-1) on `workers` concurrent loops, each loop doing one op at a time (like one
 * client or one connection). Returns elapsed seconds and each op's latency in ms.
 */
export async function runWorkers(
  label: string,
  workers: number,
  total: number,
  op: (i: number, worker: number) => Promise<void>,
): Promise<{ seconds: number; latenciesMs: Float64Array }> {
  const latenciesMs = new Float64Array(total);
  let next = 0;
  let failed = false;
  const progress = startProgress(label, total, () => next);
  const started = process.hrtime.bigint();
  const loop = async (worker: number) => {
    // Stop taking work once any worker failed, so the error surfaces promptly.
    while (!failed && next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await op(i, worker);
      } catch (err) {
        failed = true;
        throw err;
      }
      latenciesMs[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  } finally {
    progress.stop();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, latenciesMs };
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** A progress line every 2 s while a phase runs, so a long run is not silent. */
function startProgress(label: string, total: number, done: () => number): { stop(): void } {
  const started = Date.now();
  const timer = setInterval(() => {
    const n = Math.min(done(), total);
    const rate = n / ((Date.now() - started) / 1000);
    log(`  ${label}: ${n}/${total} (${rate.toFixed(0)}/s)`);
  }, 2000);
  return { stop: () => clearInterval(timer) };
}

/** A positive integer from the environment, or the fallback. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** mulberry32: a small seeded PRNG for the bench's own choices (which ids to read, which patient to search); not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** p50, p99 (ms) and requests/s of a timed run. */
export interface Timed {
  p50: number;
  p99: number;
  rate: number;
}

/** Warm-up, then `runs` timed ops on `workers` loops (op(i) gets warmup + i for the timed ones); logs and returns the figures. */
export async function measureRuns(label: string, workers: number, warmup: number, runs: number, op: (i: number, worker: number) => Promise<void>): Promise<Timed> {
  await runWorkers(`${label} warm-up`, workers, warmup, (i, w) => op(i, w));
  const { seconds, latenciesMs } = await runWorkers(label, workers, runs, (i, w) => op(warmup + i, w));
  const result = { p50: percentile(latenciesMs, 50), p99: percentile(latenciesMs, 99), rate: runs / seconds };
  log(`${label}: p50 ${result.p50.toFixed(3)} ms, p99 ${result.p99.toFixed(3)} ms, ${result.rate.toFixed(0)} req/s over ${runs} runs`);
  return result;
}
