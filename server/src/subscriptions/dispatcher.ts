// Turns outbox rows into notifications. Woken by NOTIFY (and a poll, the safety net), it claims a
// batch of outbox rows (FOR UPDATE SKIP LOCKED: two processes never claim the same row), matches
// them against the live subscriptions with the search engine's own SQL, numbers each
// subscription's events, records the notifications, runs the alert rules, and deletes the rows, all
// in one transaction: a crash before commit leaves the rows for the next try, so no event is lost
// and none is recorded twice.
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { Resource } from '@medplum/fhirtypes';
import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../logger.js';
import { criteriaKey, SqlBuilder, type Criterion } from '../search/index.js';
import { reindexResource } from '../repo/write.js';
import { isLive, type KnownSubscription, type SubscriptionRegistry } from './registry.js';
import { SerialRunner } from './serial.js';

export interface OutboxEvent {
  seq: string;
  resource_type: string;
  resource_id: string;
  version_id: number;
  method: string;
  at: Date;
}

/** What runs in the dispatch transaction besides matching (the vital-sign alert rules). */
export type EventConsumer = (tx: Queryable, events: OutboxEvent[]) => Promise<void>;

const BATCH = 500;
/** Outbox rows handled between two VACUUMs of the outbox (PGlite has no autovacuum; dead rows slow the claim). */
const VACUUM_EVERY = 5000;

export class Dispatcher {
  private readonly runs = new SerialRunner(
    () => this.drain(),
    // retried at the next wake-up or poll; the outbox rows are still there
    (err) => this.log.error({ error: err.message }, 'subscription dispatch failed'),
  );
  private timer?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;
  private sinceVacuum = 0;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly registry: SubscriptionRegistry,
    private readonly consumers: EventConsumer[],
    /** After a commit that recorded notifications, or changed Subscriptions (ids). */
    private readonly after: (recorded: boolean, subscriptionsWritten: string[]) => void,
  ) {}

  async start(): Promise<void> {
    this.runs.resume();
    this.unlisten = await this.db.listen('meridian_outbox', () => this.wake());
    this.timer = setInterval(() => this.wake(), this.config.subscriptionPollMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unlisten?.();
    await this.runs.stop();
  }

  /** Runs a dispatch now, or right after the one running (never two at once in one process). */
  wake(): void {
    this.runs.wake();
  }

  /** Batches until the outbox is empty (VACUUMing it now and then). */
  private async drain(): Promise<void> {
    let handled: number;
    do {
      handled = await this.dispatchBatch();
      this.sinceVacuum += handled;
    } while (!this.runs.stopped && handled === BATCH);
    if (this.sinceVacuum >= VACUUM_EVERY) {
      this.sinceVacuum = 0;
      await this.db.exec('VACUUM subscription_event, subscription_state');
    }
  }

  /** One batch in one transaction; returns how many outbox rows it handled. */
  async dispatchBatch(): Promise<number> {
    let recorded = false;
    let written: string[] = [];
    const handled = await this.db.transaction(async (tx) => {
      const { rows: events } = await tx.query<OutboxEvent>(
        `DELETE FROM subscription_event WHERE seq IN
           (SELECT seq FROM subscription_event ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING seq::text AS seq, resource_type, resource_id, version_id, method, at`,
        [BATCH],
        'meridian_outbox_claim',
      );
      if (!events.length) return 0;
      events.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)));
      for (const consume of this.consumers) await consume(tx, events);
      const subscriptions = [...(await this.registry.current(tx)).values()].filter((s) => isLive(s.spec) && s.bounds);
      const matched = await matchEvents(tx, this.config.baseUrl, events, subscriptions);
      recorded = await recordNotifications(tx, matched);
      written = events.filter((e) => e.resource_type === 'Subscription' && e.method !== 'DELETE').map((e) => e.resource_id);
      return events.length;
    });
    if (handled) this.after(recorded, written);
    return handled;
  }
}

type Interaction = 'create' | 'update' | 'delete';
const interactionOf = (e: OutboxEvent): Interaction => (e.method === 'DELETE' ? 'delete' : e.version_id === 1 || e.method === 'POST' ? 'create' : 'update');

/**
 * For each subscription, the events it matches, in order. The criteria (and the owner's bounds)
 * run as the search engine's SQL on the events' resources, one query per distinct criteria; topics
 * also test the interaction and, when they have one, a FHIRPath expression on the version and the
 * one before. Each event is judged on its own version, even one replaced before it was dispatched
 * (see shadowSuperseded). Deletes match nothing (no shipped topic triggers on delete).
 */
export async function matchEvents(tx: Queryable, baseUrl: string, events: OutboxEvent[], subscriptions: KnownSubscription[]): Promise<Map<KnownSubscription, OutboxEvent[]>> {
  const result = new Map<KnownSubscription, OutboxEvent[]>();
  const byType = new Map<string, OutboxEvent[]>();
  for (const e of events) if (e.method !== 'DELETE') byType.set(e.resource_type, [...(byType.get(e.resource_type) ?? []), e]);
  for (const [type, typeEvents] of byType) {
    const candidates = subscriptions.filter((s) => s.spec.resourceType === type);
    if (!candidates.length) continue;
    const groups = new Map<string, KnownSubscription[]>();
    for (const s of candidates) {
      const key = criteriaKey(type, [...s.spec.criteria, ...s.bounds!]);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    const versions = await historyVersions(tx, candidates, typeEvents);
    const hits = new Map<string, Set<string>>([...groups.keys()].map((k) => [k, new Set<string>()]));
    // versions no longer current are matched as shadows of themselves, inside a savepoint
    const shadows = new Map<string, string>();
    const savepoint = { open: false };
    const matchAll = async (batch: OutboxEvent[]) => {
      const probes = batch.map((e) => ({ ...e, resource_id: shadows.get(eventKey(e)) ?? e.resource_id }));
      for (const [key, group] of groups) {
        const { spec, bounds } = group[0];
        const rows = new Set((await matchingVersions(tx, type, probes, [...spec.criteria, ...bounds!])).map((r) => `${r.id}/${r.version_id}`));
        batch.forEach((e, i) => rows.has(eventKey(probes[i])) && hits.get(key)!.add(eventKey(e)));
      }
    };
    try {
      await shadowSuperseded(tx, baseUrl, type, typeEvents, shadows, savepoint);
      await matchAll(typeEvents);
      // each statement sees what is committed when it starts: a version replaced between the check
      // above and the match was missed by it, and is matched again as a shadow (versions only grow,
      // so one still current now was current then)
      const late = await shadowSuperseded(tx, baseUrl, type, typeEvents.filter((e) => !shadows.has(eventKey(e))), shadows, savepoint);
      if (late.length) await matchAll(late);
    } finally {
      if (savepoint.open) await tx.query('ROLLBACK TO SAVEPOINT meridian_shadows');
    }
    for (const [key, group] of groups) {
      for (const s of group) {
        const matched = typeEvents.filter((e) => hits.get(key)!.has(eventKey(e)) && topicTriggers(s, e, versions));
        if (matched.length) result.set(s, matched);
      }
    }
  }
  return result;
}

const eventKey = (e: { resource_id: string; version_id: number }) => `${e.resource_id}/${e.version_id}`;

/**
 * The index rows are those of current versions. An event whose version was replaced (or deleted)
 * before it was dispatched is matched against a shadow: its version stored under another id
 * ("<id>~<version>", which no FHIR id can be) with its own index rows, in a savepoint (opened once,
 * savepoint.open) the caller rolls back. Criteria are thus always judged on the event's version, by
 * the same SQL. Returns the events it shadowed now.
 */
async function shadowSuperseded(
  tx: Queryable,
  baseUrl: string,
  type: string,
  events: OutboxEvent[],
  shadows: Map<string, string>,
  savepoint: { open: boolean },
): Promise<OutboxEvent[]> {
  if (!events.length) return [];
  const { rows: current } = await tx.query<{ id: string; version_id: number; deleted: boolean }>(
    'SELECT id, version_id, deleted FROM resources WHERE resource_type = $1 AND id = ANY($2::text[])',
    [type, events.map((e) => e.resource_id)],
  );
  const live = new Map(current.filter((r) => !r.deleted).map((r) => [r.id, r.version_id]));
  const stale = events.filter((e) => live.get(e.resource_id) !== e.version_id);
  if (!stale.length) return [];
  const { rows } = await tx.query<{ id: string; version_id: number; last_updated: Date; content: Resource | null }>(
    `SELECT h.id, h.version_id, h.last_updated, h.content FROM resource_history h
     JOIN unnest($2::text[], $3::integer[]) AS k(i, v) ON h.resource_type = $1 AND h.id = k.i AND h.version_id = k.v`,
    [type, stale.map((e) => e.resource_id), stale.map((e) => e.version_id)],
  );
  for (const r of rows) {
    if (!r.content) continue;
    if (!savepoint.open) {
      await tx.query('SAVEPOINT meridian_shadows');
      savepoint.open = true;
    }
    const id = `${r.id}~${r.version_id}`;
    const content = { ...r.content, id } as Resource;
    await tx.query('INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, content) VALUES ($1, $2, $3, $4, false, $5::jsonb)', [type, id, r.version_id, r.last_updated, JSON.stringify(content)]);
    await reindexResource(tx, baseUrl, content);
    shadows.set(`${r.id}/${r.version_id}`, id);
  }
  return stale.filter((e) => shadows.has(eventKey(e)));
}

/**
 * The events whose stored version (or shadow) matches the criteria: one branch per event with its id
 * and version as constants (so each branch is a primary-key lookup and index probes, whatever the
 * statistics say), 100 branches a statement.
 */
async function matchingVersions(tx: Queryable, type: string, events: OutboxEvent[], criteria: Criterion[]): Promise<{ id: string; version_id: number }[]> {
  const found: { id: string; version_id: number }[] = [];
  for (let start = 0; start < events.length; start += 100) {
    const b = new SqlBuilder();
    const t = b.bind(type);
    const branches = events.slice(start, start + 100).map(
      (e) =>
        `(SELECT r.id, r.version_id FROM resources r WHERE r.resource_type = ${t} AND r.id = ${b.bind(e.resource_id)} ` +
        `AND r.version_id = ${b.bind(e.version_id)}::integer AND NOT r.deleted AND ${b.where(criteria, { type: 'r.resource_type', id: 'r.id', row: 'r' })})`,
    );
    const { rows } = await tx.query<{ id: string; version_id: number }>(branches.join(' UNION ALL '), b.params);
    found.push(...rows);
  }
  return found;
}

const versionKey = (type: string, id: string, version: number) => `${type}/${id}/${version}`;

/** The versions topics' FHIRPath tests look at (each event's and the one before), when any topic has one. */
async function historyVersions(tx: Queryable, candidates: KnownSubscription[], events: OutboxEvent[]): Promise<Map<string, Resource>> {
  const found = new Map<string, Resource>();
  if (!candidates.some((s) => s.spec.topic?.fhirPath)) return found;
  const keys = events.flatMap((e) => [[e.resource_type, e.resource_id, e.version_id], [e.resource_type, e.resource_id, e.version_id - 1]] as const);
  const { rows } = await tx.query<{ resource_type: string; id: string; version_id: number; content: Resource | null }>(
    `SELECT h.resource_type, h.id, h.version_id, h.content FROM resource_history h
     JOIN unnest($1::text[], $2::text[], $3::integer[]) AS k(t, i, v) ON h.resource_type = k.t AND h.id = k.i AND h.version_id = k.v`,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
  );
  for (const r of rows) if (r.content) found.set(versionKey(r.resource_type, r.id, r.version_id), r.content);
  return found;
}

function topicTriggers(s: KnownSubscription, e: OutboxEvent, versions: Map<string, Resource>): boolean {
  const topic = s.spec.topic;
  if (!topic) return true;
  if (!topic.interactions.includes(interactionOf(e) as 'create' | 'update')) return false;
  if (!topic.fhirPath) return true;
  const current = versions.get(versionKey(e.resource_type, e.resource_id, e.version_id));
  const previous = versions.get(versionKey(e.resource_type, e.resource_id, e.version_id - 1)) ?? null;
  if (!current) return false;
  try {
    const [value] = fhirpath.evaluate(current, topic.fhirPath, { current, previous }, r4) as unknown[];
    return value === true;
  } catch {
    return false;
  }
}

/**
 * Numbers each subscription's new events (events-since-subscription-start: the counter row is
 * locked until commit, so numbers are gapless and committed in order) and stores the notifications;
 * rest-hook ones are due for delivery at once.
 */
async function recordNotifications(tx: Queryable, matched: Map<KnownSubscription, OutboxEvent[]>): Promise<boolean> {
  if (!matched.size) return false;
  const subs = [...matched.keys()].sort((a, b) => (a.spec.id < b.spec.id ? -1 : 1)); // one lock order: no deadlock between processes
  const { rows } = await tx.query<{ subscription_id: string; events: string }>(
    `INSERT INTO subscription_state AS s (subscription_id, events)
     SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (subscription_id) DO UPDATE SET events = s.events + EXCLUDED.events
     RETURNING subscription_id, events::text AS events`,
    [subs.map((s) => s.spec.id), subs.map((s) => matched.get(s)!.length)],
  );
  const last = new Map(rows.map((r) => [r.subscription_id, BigInt(r.events)]));
  const cols = { sub: [] as string[], num: [] as string[], type: [] as string[], id: [] as string[], version: [] as number[], at: [] as Date[], due: [] as boolean[] };
  for (const s of subs) {
    const events = matched.get(s)!;
    const first = last.get(s.spec.id)! - BigInt(events.length) + 1n;
    events.forEach((e, i) => {
      cols.sub.push(s.spec.id);
      cols.num.push(String(first + BigInt(i)));
      cols.type.push(e.resource_type);
      cols.id.push(e.resource_id);
      cols.version.push(e.version_id);
      cols.at.push(e.at);
      cols.due.push(s.spec.channel === 'rest-hook');
    });
  }
  await tx.query(
    `INSERT INTO subscription_notification (subscription_id, event_number, resource_type, resource_id, version_id, at, next_attempt)
     SELECT sub, num, type, id, version, at, CASE WHEN due THEN now() END
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::integer[], $6::timestamptz[], $7::boolean[]) AS v(sub, num, type, id, version, at, due)`,
    [cols.sub, cols.num, cols.type, cols.id, cols.version, cols.at, cols.due],
  );
  return true;
}
