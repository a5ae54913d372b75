// The subscription phase: notification latency over websockets. `clients` topic-based Subscriptions
// (Subscriptions Backport IG, topic vital-signs, id-only payload), one websocket each, bound with a
// token from $get-ws-binding-token; then vital-sign Observations POSTed at a fixed rate by a
// scheduler that does not wait for earlier POSTs. Measured per (Observation, subscriber) pair: from
// the moment the POST's 201 arrives at the poster to the moment the subscriber's notification
// arrives, both on the bench process's clock. Also counted: missing and duplicate notifications.
// No raw baseline: nothing in plain pg delivers notifications; the aim is absolute (p99), and the
// counts must be 0. See bench/README.md, "Subscriptions".
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type pg from 'pg';
import { WebSocket } from 'ws';
import { checkpoint } from './database.js';
import { expectOk, HttpClient, log, percentile, type HttpResponse } from './harness.js';

const TOPIC = 'https://meridian.dev/fhir/SubscriptionTopic/vital-signs';
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
/** How long after the last POST's 201 stragglers are waited for before counting. */
const STRAGGLE_MS = 10_000;
/** Sockets of the posters' keep-alive agent: requests beyond these wait in the agent's queue. */
const POST_SOCKETS = 16;
/** The aim the issue sets for the p99 latency. */
export const AIM_P99_MS = 50;
/** Width of the windows the latency is also reported in (does it drift during the run?). */
const WINDOW_S = 5;

export interface SubscriptionOptions {
  port: number;
  /** Websocket subscribers, one Subscription and one socket each. */
  clients: number;
  /** Observations POSTed per second, and for how many seconds. */
  rate: number;
  seconds: number;
}

export interface SubscriptionResult {
  clients: number;
  rate: number;
  seconds: number;
  posted: number;
  /** posted / (first POST sent .. last 201 received) */
  achievedRate: number;
  postP50: number;
  postP99: number;
  /** Most POSTs in flight at once (sent, 201 not yet received). */
  maxInFlight: number;
  /** How late the scheduler sent its most delayed POST, ms after its slot. */
  maxSendLagMs: number;
  expected: number;
  received: number;
  missing: number;
  duplicate: number;
  /** Notifications for an Observation this phase did not post, and other messages that are not notifications. */
  unexpected: number;
  /** Pairs whose notification arrived before the POST's 201 (latency counted as 0). */
  early: number;
  p50: number;
  p99: number;
  max: number;
  /** Per Observation, the latency of its earliest subscriber: the dispatch alone, without the fan-out to the others. */
  firstP50: number;
  firstP99: number;
  warmup: { posted: number; missing: number };
  /** The bench process's event-loop delay during the timed window (ms): how late it may have noticed a message. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Latency p50/p99 of the Observations posted in each WINDOW_S-second window of the timed run (by schedule slot). */
  windows: { p50: number; p99: number }[];
  /** CPU the bench process used in the timed window, in cores (1.0 = one core busy). */
  benchCpu: number;
  /** Lines with details of anything odd (missing, duplicate, unexpected, event-number gaps). */
  findings: string[];
}

interface Subscriber {
  index: number;
  id: string;
  ws: WebSocket;
  /** Observation id -> when its notification first arrived (performance.now()). */
  received: Map<string, number>;
  duplicates: { observation: string; eventNumber: string }[];
  eventNumbers: bigint[];
  unexpected: string[];
  closed?: string;
}

interface Posted {
  id: string;
  /** When the 201 arrived (performance.now()). */
  acceptedAt: number;
}

type Json = Record<string, unknown>;

export async function subscriptionPhase(http: HttpClient, control: pg.Client, options: SubscriptionOptions): Promise<SubscriptionResult> {
  const { port, clients, rate, seconds } = options;
  const total = rate * seconds;
  const warmupPosts = rate; // one second's worth, untimed
  log(`subscriptions: ${clients} websocket subscribers, then ${warmupPosts} warm-up and ${total} timed Observations at ${rate}/s`);

  const patient = createdId(expectOk('POST /fhir/Patient', await http.request('POST', '/fhir/Patient', JSON.stringify(PATIENT), { prefer: 'return=minimal' })), 'Patient');
  const ids = await createSubscriptions(http, clients);
  const subscribers = await connectSubscribers(http, port, ids);
  log(`subscriptions: ${clients} subscriptions active, ${clients} websockets bound (handshake received)`);

  const poster = new HttpClient(port, POST_SOCKETS);
  const findings: string[] = [];
  try {
    // Warm-up: the same posting for one second, untimed; its notifications are waited for, not measured.
    const warmFrom = receipts;
    const warm = await postAtRate(poster, patient, rate, warmupPosts, 'warm-up');
    const warmMissing = await waitForNotifications(subscribers, warm.posted, warmFrom, 'warm-up');
    if (warmMissing === warm.posted.length * clients) {
      throw new Error(`subscriptions: none of the ${warm.posted.length * clients} warm-up notifications arrived within ${STRAGGLE_MS / 1000} s (is the dispatcher running? server output above)`);
    }
    if (warmMissing) findings.push(`warm-up: ${warmMissing} of ${warm.posted.length * clients} notifications had not arrived ${STRAGGLE_MS / 1000} s after the last POST`);
    await checkpoint(control);

    const timedFrom = receipts;
    // The bench's own event loop receives every notification: its delays are in the latencies.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const timed = await postAtRate(poster, patient, rate, total, 'timed');
    await waitForNotifications(subscribers, timed.posted, timedFrom, 'timed');
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const benchCpu = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);

    // Count: every (Observation, subscriber) pair of the timed window.
    const latencies: number[] = [];
    const first = new Float64Array(timed.posted.length).fill(Infinity); // per Observation, its earliest subscriber
    // Latencies by the Observation's slot in the schedule, in windows of WINDOW_S: does it drift during the run?
    const perWindow = rate * WINDOW_S;
    const byWindow: number[][] = [];
    let missing = 0;
    let early = 0;
    const missingPairs: string[] = [];
    for (const s of subscribers) {
      for (const [i, p] of timed.posted.entries()) {
        const at = s.received.get(p.id);
        if (at === undefined) {
          missing++;
          if (missingPairs.length < 10) missingPairs.push(`Observation/${p.id} to subscriber ${s.index} (Subscription/${s.id})`);
          continue;
        }
        const ms = at - p.acceptedAt;
        if (ms < 0) early++;
        latencies.push(Math.max(0, ms));
        first[i] = Math.min(first[i], Math.max(0, ms));
        (byWindow[Math.floor(i / perWindow)] ??= []).push(Math.max(0, ms));
      }
    }
    const known = new Set([...warm.posted, ...timed.posted].map((p) => p.id));
    const timedIds = new Set(timed.posted.map((p) => p.id));
    let duplicate = 0;
    let unexpected = 0;
    for (const s of subscribers) {
      const dupes = s.duplicates.filter((d) => timedIds.has(d.observation));
      duplicate += dupes.length;
      if (dupes.length) findings.push(`subscriber ${s.index} (Subscription/${s.id}): ${dupes.length} duplicate notifications, e.g. ${dupes.slice(0, 3).map((d) => `Observation/${d.observation} again as event ${d.eventNumber}`).join(', ')}`);
      const warmDupes = s.duplicates.length - dupes.length;
      if (warmDupes) findings.push(`subscriber ${s.index} (Subscription/${s.id}): ${warmDupes} duplicate notifications of warm-up Observations (not counted above)`);
      const foreign = [...s.received.keys()].filter((id) => !known.has(id));
      unexpected += foreign.length + s.unexpected.length;
      if (foreign.length) findings.push(`subscriber ${s.index}: ${foreign.length} notifications for Observations this phase did not post, e.g. ${foreign.slice(0, 3).join(', ')}`);
      if (s.unexpected.length) findings.push(`subscriber ${s.index}: ${s.unexpected.length} messages that are not notifications, e.g. ${s.unexpected[0].slice(0, 300)}`);
      const gaps = eventNumberGaps(s.eventNumbers);
      if (gaps) findings.push(`subscriber ${s.index} (Subscription/${s.id}): event numbers ${gaps}`);
      if (s.closed) findings.push(`subscriber ${s.index}: socket closed during the phase (${s.closed})`);
    }
    if (missing) {
      findings.push(`missing pairs (first ${missingPairs.length} of ${missing}): ${missingPairs.join('; ')}`);
      // Not counted, only to tell "late" from "lost": look again after another wait.
      await new Promise((r) => setTimeout(r, STRAGGLE_MS));
      let late = 0;
      for (const s of subscribers) for (const p of timed.posted) if (s.received.has(p.id)) late++;
      late -= latencies.length;
      findings.push(`of the ${missing} missing, ${late} arrived in the further ${STRAGGLE_MS / 1000} s (not counted as received)`);
    }
    for (const f of findings) log(`subscriptions: ${f}`);

    const values = Float64Array.from(latencies);
    const firsts = first.filter((v) => v !== Infinity);
    const result: SubscriptionResult = {
      clients,
      rate,
      seconds,
      posted: timed.posted.length,
      achievedRate: timed.achievedRate,
      postP50: timed.postP50,
      postP99: timed.postP99,
      maxInFlight: timed.maxInFlight,
      maxSendLagMs: timed.maxSendLagMs,
      expected: timed.posted.length * clients,
      received: latencies.length,
      missing,
      duplicate,
      unexpected,
      early,
      p50: values.length ? percentile(values, 50) : NaN,
      p99: values.length ? percentile(values, 99) : NaN,
      max: values.length ? values.reduce((a, b) => Math.max(a, b), 0) : NaN,
      firstP50: firsts.length ? percentile(firsts, 50) : NaN,
      firstP99: firsts.length ? percentile(firsts, 99) : NaN,
      warmup: { posted: warm.posted.length, missing: warmMissing },
      windows: Array.from(byWindow, (v) => {
        const a = Float64Array.from(v ?? []);
        return a.length ? { p50: percentile(a, 50), p99: percentile(a, 99) } : { p50: NaN, p99: NaN };
      }),
      benchCpu,
      loopDelayP99: loopDelay.percentile(99) / 1e6,
      loopDelayMax: loopDelay.max / 1e6,
      findings,
    };
    log(`subscriptions: ${summary(result)}`);
    log(`subscriptions: ${details(result)}`);
    return result;
  } finally {
    poster.close();
    for (const s of subscribers) s.ws.close();
  }
}

const PATIENT = {
  resourceType: 'Patient',
  name: [{ family: 'Subscriber', given: ['Bench'] }],
  gender: 'female',
  birthDate: '1970-01-01',
};

function observation(patient: string): string {
  return JSON.stringify({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
}

function createdId(res: HttpResponse, type: string): string {
  const location = new RegExp(`/${type}/([^/]+)/_history/`).exec(String(res.headers.location ?? ''));
  if (!location) throw new Error(`POST /fhir/${type} answered ${res.status} without a Location naming the new ${type}`);
  return location[1];
}

/** `n` topic-based websocket Subscriptions, each waited for until the server made it active. */
async function createSubscriptions(http: HttpClient, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = {
      resourceType: 'Subscription',
      meta: { profile: [`${BACKPORT}/backport-subscription`] },
      status: 'requested',
      reason: `bench subscriber ${i}`,
      criteria: TOPIC,
      channel: { type: 'websocket', payload: 'application/fhir+json', _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] } },
    };
    ids.push(createdId(expectOk('POST /fhir/Subscription', await http.request('POST', '/fhir/Subscription', JSON.stringify(body), { prefer: 'return=minimal' })), 'Subscription'));
  }
  const deadline = Date.now() + 30_000;
  for (const id of ids) {
    for (;;) {
      const sub = JSON.parse(expectOk(`GET /fhir/Subscription/${id}`, await http.request('GET', `/fhir/Subscription/${id}`)).body) as { status: string; error?: string };
      if (sub.status === 'active') break;
      if (sub.status !== 'requested') throw new Error(`Subscription/${id} became ${sub.status}${sub.error ? `: ${sub.error}` : ''}`);
      if (Date.now() > deadline) throw new Error(`Subscription/${id} was still requested 30 s after it was created`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return ids;
}

function parameter(status: Json | undefined, name: string): Json | undefined {
  return ((status?.parameter as Json[] | undefined) ?? []).find((p) => p.name === name);
}

/** One websocket per subscription, bound with its own binding token; resolves when every handshake arrived. */
async function connectSubscribers(http: HttpClient, port: number, ids: string[]): Promise<Subscriber[]> {
  return Promise.all(
    ids.map(async (id, index) => {
      const res = expectOk(`GET /fhir/Subscription/${id}/$get-ws-binding-token`, await http.request('GET', `/fhir/Subscription/${id}/$get-ws-binding-token`));
      const params = JSON.parse(res.body) as Json;
      const token = parameter(params, 'token')?.valueString as string | undefined;
      if (!token) throw new Error(`$get-ws-binding-token for Subscription/${id} returned no token: ${res.body.slice(0, 500)}`);
      // The server builds its URL from BASE_URL; the bench only talks to 127.0.0.1, so check that before using it.
      const announced = parameter(params, 'websocket-url')?.valueUrl as string | undefined;
      const url = announced && /^ws:\/\/(127\.0\.0\.1|localhost):(\d+)\//.exec(announced)?.[2] === String(port) ? announced : `ws://127.0.0.1:${port}/fhir/ws`;
      const subscriber: Subscriber = { index, id, ws: new WebSocket(url), received: new Map(), duplicates: [], eventNumbers: [], unexpected: [] };
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`subscriber ${index}: no handshake from ${url} within 10 s of bind-with-token`)), 10_000);
        subscriber.ws.once('open', () => subscriber.ws.send(`bind-with-token ${token}`));
        subscriber.ws.on('error', (err) => {
          subscriber.closed ??= `error: ${err.message}`;
          reject(new Error(`subscriber ${index}: websocket ${url}: ${err.message}`));
        });
        subscriber.ws.on('close', (code, reason) => {
          subscriber.closed ??= `code ${code}${reason.length ? `, ${reason.toString()}` : ''}`;
          reject(new Error(`subscriber ${index}: websocket closed before the handshake (${subscriber.closed})`));
        });
        subscriber.ws.on('message', (data) => {
          const at = performance.now(); // first, before parsing
          const kind = onMessage(subscriber, data.toString(), at);
          if (kind === 'handshake') {
            clearTimeout(timer);
            resolve();
          } else if (kind === 'refused') {
            clearTimeout(timer);
            reject(new Error(`subscriber ${index}: bind-with-token refused: ${subscriber.unexpected.at(-1)}`));
          }
        });
      });
      return subscriber;
    }),
  );
}

let receipts = 0; // first receipts of an Observation by a subscriber, all subscribers (the wait loop's cheap gate)

/** Records a notification; returns what the message was. */
function onMessage(s: Subscriber, text: string, at: number): 'handshake' | 'heartbeat' | 'event' | 'refused' | 'other' {
  let message: Json;
  try {
    message = JSON.parse(text) as Json;
  } catch {
    s.unexpected.push(text);
    return 'other';
  }
  if (message.resourceType === 'OperationOutcome') {
    s.unexpected.push(text);
    return 'refused';
  }
  const status = ((message.entry as Json[] | undefined)?.[0]?.resource as Json | undefined) ?? undefined;
  const type = parameter(status, 'type')?.valueCode;
  if (message.resourceType !== 'Bundle' || status?.resourceType !== 'Parameters') {
    s.unexpected.push(text);
    return 'other';
  }
  if (type === 'handshake') return 'handshake';
  if (type === 'heartbeat') return 'heartbeat';
  if (type !== 'event-notification') {
    s.unexpected.push(text);
    return 'other';
  }
  const events = ((status.parameter as Json[]) ?? []).filter((p) => p.name === 'notification-event');
  if (!events.length) s.unexpected.push(text);
  for (const event of events) {
    const parts = (event.part as Json[] | undefined) ?? [];
    const eventNumber = String(parts.find((p) => p.name === 'event-number')?.valueString ?? '');
    const focus = (parts.find((p) => p.name === 'focus')?.valueReference as Json | undefined)?.reference as string | undefined;
    const id = focus ? /\/?Observation\/([^/]+)$/.exec(focus)?.[1] : undefined;
    if (/^[0-9]+$/.test(eventNumber)) s.eventNumbers.push(BigInt(eventNumber));
    if (!id) {
      s.unexpected.push(text);
      continue;
    }
    if (s.received.has(id)) {
      s.duplicates.push({ observation: id, eventNumber });
    } else {
      s.received.set(id, at);
      receipts++;
    }
  }
  return 'event';
}

/** Event numbers should be 1, 2, 3, ... with no gap and no repeat; undefined when they are. */
function eventNumberGaps(numbers: bigint[]): string | undefined {
  const sorted = [...numbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const problems: string[] = [];
  let expect = 1n;
  for (const n of sorted) {
    if (n < expect) problems.push(`${n} repeated`);
    else if (n > expect) problems.push(n === expect + 1n ? `${expect} missing` : `${expect}–${n - 1n} missing`);
    expect = n >= expect ? n + 1n : expect;
    if (problems.length >= 5) break;
  }
  const outOfOrder = numbers.some((n, i) => i > 0 && n < numbers[i - 1]);
  if (outOfOrder) problems.push('arrived out of order');
  return problems.length ? problems.join(', ') : undefined;
}

/**
 * POSTs `count` Observations, one every 1000/rate ms, each sent at its slot whether or not the ones
 * before were answered (an open-loop scheduler: a slow response does not slow the rate). Any
 * non-2xx aborts the run, as in the other phases.
 */
async function postAtRate(
  poster: HttpClient,
  patient: string,
  rate: number,
  count: number,
  label: string,
): Promise<{ posted: Posted[]; achievedRate: number; postP50: number; postP99: number; maxInFlight: number; maxSendLagMs: number }> {
  const interval = 1000 / rate;
  const posted: Posted[] = new Array(count);
  const postMs = new Float64Array(count);
  const inFlight: Promise<void>[] = [];
  let open = 0;
  let maxInFlight = 0;
  let maxSendLagMs = 0;
  let failure: unknown;
  let lastAccepted = 0;
  const start = performance.now();
  const post = async (i: number) => {
    const sent = performance.now();
    open++;
    maxInFlight = Math.max(maxInFlight, open);
    try {
      const res = await poster.request('POST', '/fhir/Observation', observation(patient), { prefer: 'return=minimal' });
      const acceptedAt = performance.now();
      expectOk('POST /fhir/Observation', res);
      posted[i] = { id: createdId(res, 'Observation'), acceptedAt };
      postMs[i] = acceptedAt - sent;
      lastAccepted = Math.max(lastAccepted, acceptedAt);
    } catch (err) {
      failure ??= err;
    } finally {
      open--;
    }
  };
  const progress = setInterval(() => log(`  subscriptions ${label}: ${posted.filter(Boolean).length}/${count} posted, ${open} in flight, ${receipts} notifications so far`), 2000);
  try {
    await new Promise<void>((resolve) => {
      let issued = 0;
      const tick = () => {
        const now = performance.now();
        const due = Math.min(count, Math.floor((now - start) / interval) + 1);
        while (issued < due && failure === undefined) {
          maxSendLagMs = Math.max(maxSendLagMs, now - (start + issued * interval));
          inFlight.push(post(issued++));
        }
        if (issued >= count || failure !== undefined) return resolve();
        setTimeout(tick, Math.max(0, start + issued * interval - performance.now()));
      };
      tick();
    });
    await Promise.all(inFlight);
  } finally {
    clearInterval(progress);
  }
  if (failure !== undefined) throw failure;
  const seconds = (lastAccepted - start) / 1000;
  const achievedRate = count / seconds;
  const result = { posted, achievedRate, postP50: percentile(postMs, 50), postP99: percentile(postMs, 99), maxInFlight, maxSendLagMs };
  log(
    `subscriptions ${label}: ${count} Observations in ${seconds.toFixed(2)} s (${achievedRate.toFixed(1)}/s); POST p50 ${result.postP50.toFixed(1)} ms, p99 ${result.postP99.toFixed(1)} ms, ` +
      `at most ${maxInFlight} in flight, sends at most ${maxSendLagMs.toFixed(1)} ms late`,
  );
  return result;
}

/**
 * Waits until every subscriber has every posted Observation, or STRAGGLE_MS after the last POST;
 * returns the pairs still missing. `from`: the receipt count before the POSTs began, so the full
 * check (a lookup per pair) runs only once enough notifications arrived, not while they arrive.
 */
async function waitForNotifications(subscribers: Subscriber[], posted: Posted[], from: number, label: string): Promise<number> {
  const lastAccepted = posted.reduce((t, p) => Math.max(t, p.acceptedAt), 0);
  const pairs = posted.length * subscribers.length;
  const missing = () => {
    if (receipts - from < pairs) return pairs - (receipts - from); // at least that many
    let n = 0;
    for (const s of subscribers) for (const p of posted) if (!s.received.has(p.id)) n++;
    return n;
  };
  let left = missing();
  while (left > 0 && performance.now() - lastAccepted < STRAGGLE_MS) {
    await new Promise((r) => setTimeout(r, 20));
    left = missing();
  }
  if (left > 0) {
    // the exact count (the gate above gives a lower bound)
    left = 0;
    for (const s of subscribers) for (const p of posted) if (!s.received.has(p.id)) left++;
  }
  const waited = Math.max(0, performance.now() - lastAccepted);
  log(`subscriptions ${label}: ${left ? `${left} of ${posted.length * subscribers.length} notifications still missing` : 'every notification arrived'}, ${waited.toFixed(0)} ms after the last 201`);
  return left;
}

function summary(r: SubscriptionResult): string {
  const ms = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
  return (
    `${r.clients} ws subscribers, ${r.rate} obs/s for ${r.seconds} s: ${r.posted} posted (${r.achievedRate.toFixed(1)}/s), ` +
    `${r.expected} notifications expected, ${r.missing} missing, ${r.duplicate} duplicate; ` +
    `latency p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms (aim p99 < ${AIM_P99_MS} ms)`
  );
}

/** The summary plus what helps read it (the log line; the report has these in its table and notes). */
function details(r: SubscriptionResult): string {
  const ms = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
  return (
    `first subscriber per Observation p50 ${ms(r.firstP50)} ms, p99 ${ms(r.firstP99)} ms; ${r.early} notifications before their 201; ` +
    `bench event-loop delay p99 ${ms(r.loopDelayP99)} ms, max ${ms(r.loopDelayMax)} ms; bench process CPU ${r.benchCpu.toFixed(2)} cores; ` +
    `p50/p99 per ${WINDOW_S} s: ${windows(r)}`
  );
}

function windows(r: SubscriptionResult): string {
  return r.windows.map((w) => `${Number.isNaN(w.p50) ? 'n/a' : w.p50.toFixed(0)}/${Number.isNaN(w.p99) ? 'n/a' : w.p99.toFixed(0)}`).join(', ') + ' ms';
}

export function subscriptionReport(r: SubscriptionResult, context: string): string {
  const ms = (n: number) => (Number.isNaN(n) ? 'n/a' : n.toFixed(1));
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines = [
    `## Meridian subscriptions: websocket notification latency (${new Date().toISOString()})`,
    '',
    `subscriptions: ${summary(r)}`,
    '',
    `${r.clients} topic-based Subscriptions (Backport IG, topic vital-signs, id-only payload), one websocket each (bind-with-token); ` +
      `vital-sign Observations POSTed by an open-loop scheduler every ${(1000 / r.rate).toFixed(1)} ms (Prefer: return=minimal, up to ${POST_SOCKETS} keep-alive sockets), ` +
      `after ${r.warmup.posted} warm-up POSTs; latency = notification received minus the POST's 201 received, per (Observation, subscriber) pair, both on the bench's clock; ` +
      `counted ${STRAGGLE_MS / 1000} s after the last 201 at the latest. POST p50 ${ms(r.postP50)} ms, p99 ${ms(r.postP99)} ms, at most ${r.maxInFlight} in flight, ` +
      `sends at most ${ms(r.maxSendLagMs)} ms late; ${r.early} notifications arrived before their 201 (counted as 0 ms). ` +
      `"First subscriber": per Observation, the earliest of its ${r.clients} notifications (the dispatch without the fan-out). ` +
      `The bench process (posters and all ${r.clients} sockets, one event loop) had event-loop delays of p99 ${ms(r.loopDelayP99)} ms, max ${ms(r.loopDelayMax)} ms in the timed window (those are in the latencies) and used ${r.benchCpu.toFixed(2)} cores. ` +
      `Latency p50/p99 of the Observations posted in each ${WINDOW_S} s of the run: ${windows(r)}. ${context}`,
    '',
    '| measure | Meridian |',
    '|---|---:|',
    `| POSTs (achieved rate /s) | ${r.posted} (${r.achievedRate.toFixed(1)}) |`,
    `| notifications expected | ${r.expected} |`,
    `| missing | ${r.missing} |`,
    `| duplicate | ${r.duplicate} |`,
    `| latency p50 (ms) | ${ms(r.p50)} |`,
    `| latency p99 (ms) | ${ms(r.p99)} |`,
    `| latency max (ms) | ${ms(r.max)} |`,
    `| first subscriber p50 / p99 (ms) | ${ms(r.firstP50)} / ${ms(r.firstP99)} |`,
    '',
    'Aims:',
    `- p99 POST-accepted -> notification received < ${AIM_P99_MS} ms: ${ms(r.p99)} ms (${verdict(r.p99 < AIM_P99_MS)})`,
    `- no missing and no duplicate notification: ${r.missing} missing, ${r.duplicate} duplicate (${verdict(r.missing === 0 && r.duplicate === 0)})`,
    '',
  ];
  if (r.unexpected) lines.splice(lines.length - 1, 0, `- unexpected messages: ${r.unexpected}`);
  if (r.findings.length) lines.push('Findings:', ...r.findings.map((f) => `- ${f}`), '');
  return lines.join('\n');
}
