// Rest-hook delivery. Due notifications are claimed with a lease (SKIP LOCKED, so two processes never
// send the same one at once), POSTed, and marked delivered; a failure is retried with exponential
// backoff, and after the last attempt the subscription goes to status error with the reason.
// At-least-once: a process that dies between the POST and the mark sends it again after the lease.
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';
import { endpointReachable } from './endpoint.js';
import { setStatus } from './lifecycle.js';
import { SerialRunner } from './serial.js';
import { notificationBundle, storedEvents, type StoredEvent } from './notification.js';
import { isLive, type KnownSubscription, type SubscriptionRegistry } from './registry.js';
import { subscriptionSpec, type SubscriptionSpec } from './spec.js';
import type { Subscription } from '@medplum/fhirtypes';

/**
 * A claimed notification is this process's for this long while it waits its turn; right before its
 * POST the lease is renewed for the POST's timeout and a margin. A process that dies thus holds
 * what it claimed for at most this long; one that is slow loses it only if it did not renew.
 */
const CLAIM_SECONDS = 20;
const SEND_MARGIN_SECONDS = 10;
const HOUSEKEEPING_MS = 60_000;

export class RestHooks {
  private readonly runs = new SerialRunner(
    async () => {
      while (!this.runs.stopped && (await this.deliverDue()) > 0);
    },
    (err) => this.log.error({ error: err.message }, 'rest-hook delivery failed'),
  );
  private timer?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly repo: Repository,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly registry: SubscriptionRegistry,
  ) {}

  async start(): Promise<void> {
    // every recorded notification NOTIFYs; only rest-hooks make this worth a query (the poll covers the rest)
    this.unlisten = await this.db.listen('meridian_delivery', () => {
      if (this.registry.hasLiveRestHooks()) this.wake();
    });
    this.timer = setInterval(() => this.tick(), Math.min(this.config.subscriptionPollMs, this.config.subscriptionRetryMs));
    this.timer.unref();
  }

  private ticking: Promise<void> | undefined;
  private lastHousekeeping = 0;

  /** The poll: retries that came due, heartbeats, set-ups a crash interrupted, old notifications. */
  private tick(): void {
    this.wake();
    if (this.ticking || this.runs.stopped) return;
    this.ticking = (async () => {
      try {
        await this.heartbeats();
        if (Date.now() - this.lastHousekeeping > HOUSEKEEPING_MS) {
          this.lastHousekeeping = Date.now();
          await this.housekeeping();
        }
      } catch (err) {
        this.log.error({ error: (err as Error).message }, 'subscription housekeeping failed');
      } finally {
        this.ticking = undefined;
      }
    })();
  }

  /**
   * A heartbeat to each active topic-based rest-hook with a heartbeat period that was sent nothing
   * for that long: the conditional UPDATE of last_sent lets one process send it, not every process.
   */
  private async heartbeats(): Promise<void> {
    const subscriptions = await this.registry.current(this.db);
    for (const { spec } of subscriptions.values()) {
      if (spec.channel !== 'rest-hook' || !spec.topic || spec.heartbeatSeconds <= 0 || spec.status !== 'active') continue;
      const { rows } = await this.db.query<{ events: string }>(
        `INSERT INTO subscription_state AS s (subscription_id, last_sent) VALUES ($1, now())
         ON CONFLICT (subscription_id) DO UPDATE SET last_sent = now()
         WHERE s.last_sent IS NULL OR s.last_sent < now() - make_interval(secs => $2)
         RETURNING events::text AS events`,
        [spec.id, spec.heartbeatSeconds],
      );
      if (!rows.length) continue;
      const request = restHookRequest(this.config.baseUrl, spec, 'heartbeat', [], rows[0].events);
      const failure = await post(spec, request, this.config.subscriptionAllowPrivateEndpoints);
      if (failure) this.log.warn({ subscription: spec.id, error: failure }, 'rest-hook heartbeat failed');
    }
  }

  /**
   * Subscriptions still requested a while after they were written (the process setting them up
   * died) are set up again, those past their end are turned off, and notifications older than
   * SUBSCRIPTION_RETENTION_DAYS and no longer due are removed.
   */
  async housekeeping(): Promise<void> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM resources WHERE resource_type = 'Subscription' AND NOT deleted AND content->>'status' = 'requested'
       AND last_updated < now() - interval '30 seconds'`,
    );
    for (const { id } of rows) await this.activate(id);
    // R4: end is when the server turns the subscription off
    const { rows: ended } = await this.db.query<{ id: string }>(
      `SELECT id FROM resources WHERE resource_type = 'Subscription' AND NOT deleted
       AND content->>'status' IN ('requested', 'active', 'error') AND content ? 'end'`,
    );
    const subscriptions = ended.length ? await this.registry.current(this.db) : new Map();
    for (const { id } of ended) {
      const sub = subscriptions.get(id);
      if (sub?.spec.end && Date.parse(sub.spec.end) <= Date.now()) await setStatus(this.repo, this.log, id, 'off');
    }
    await this.db.query(
      `DELETE FROM subscription_notification WHERE next_attempt IS NULL AND at < now() - make_interval(days => $1)`,
      [this.config.subscriptionRetentionDays],
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unlisten?.();
    await this.runs.stop();
    await this.ticking;
    await Promise.all(this.activations);
  }

  /** Sends what is due now, or right after the round in progress. */
  wake(): void {
    this.runs.wake();
  }

  /** Claims and sends what is due; returns how many it claimed. */
  private async deliverDue(): Promise<number> {
    const { rows } = await this.db.query<{ subscription_id: string; event_number: string; attempts: number; lease: string }>(
      `UPDATE subscription_notification n SET attempts = n.attempts + 1, next_attempt = clock_timestamp() + make_interval(secs => $1)
       FROM (SELECT subscription_id, event_number FROM subscription_notification
             WHERE next_attempt <= now() ORDER BY next_attempt LIMIT 50 FOR UPDATE SKIP LOCKED) d
       WHERE n.subscription_id = d.subscription_id AND n.event_number = d.event_number
       RETURNING n.subscription_id, n.event_number::text AS event_number, n.attempts, n.next_attempt::text AS lease`,
      [CLAIM_SECONDS],
    );
    if (!rows.length) return 0;
    const subscriptions = await this.registry.current(this.db);
    const bySub = new Map<string, typeof rows>();
    for (const r of rows) bySub.set(r.subscription_id, [...(bySub.get(r.subscription_id) ?? []), r]);
    await Promise.all(
      [...bySub].map(async ([id, claimed]) => {
        claimed.sort((a, b) => Number(BigInt(a.event_number) - BigInt(b.event_number)));
        const sub = subscriptions.get(id);
        if (!sub || !isLive(sub.spec) || sub.spec.channel !== 'rest-hook') {
          // off, in error, deleted or changed to another channel: kept for $events, not sent
          await this.db.query('UPDATE subscription_notification SET next_attempt = NULL WHERE subscription_id = $1 AND event_number = ANY($2::bigint[])', [id, claimed.map((c) => c.event_number)]);
          return;
        }
        const range = claimed.map((c) => BigInt(c.event_number));
        const events = (await storedEvents(this.db, [{ subscription: id, after: String(range[0] - 1n), until: String(range[range.length - 1]) }], sub.spec.content === 'full-resource')).get(id) ?? [];
        const wanted = new Set(claimed.map((c) => c.event_number));
        for (const event of events.filter((e) => wanted.has(e.eventNumber))) {
          const claim = claimed.find((c) => c.event_number === event.eventNumber)!;
          // still ours? (a lease that ran out while earlier POSTs were slow may have been taken over)
          const { rows: renewed } = await this.db.query(
            `UPDATE subscription_notification SET next_attempt = clock_timestamp() + make_interval(secs => $3)
             WHERE subscription_id = $1 AND event_number = $2 AND next_attempt = $4::timestamptz RETURNING 1`,
            [id, event.eventNumber, sub.spec.timeoutSeconds + SEND_MARGIN_SECONDS, claim.lease],
          );
          if (renewed.length) await this.deliverOne(sub, event, claim.attempts);
        }
      }),
    );
    return rows.length;
  }

  private async deliverOne(sub: KnownSubscription, event: StoredEvent, attempts: number): Promise<void> {
    const { spec } = sub;
    const failure = await this.send(spec, event);
    if (!failure) {
      await this.db.query('UPDATE subscription_notification SET delivered_at = now(), next_attempt = NULL WHERE subscription_id = $1 AND event_number = $2', [spec.id, event.eventNumber]);
      await this.db.query('UPDATE subscription_state SET failures = 0, last_sent = now() WHERE subscription_id = $1', [spec.id]);
      return;
    }
    if (attempts < this.config.subscriptionMaxAttempts) {
      const delay = this.config.subscriptionRetryMs * 2 ** (attempts - 1);
      await this.db.query('UPDATE subscription_notification SET next_attempt = now() + make_interval(secs => $3) WHERE subscription_id = $1 AND event_number = $2', [spec.id, event.eventNumber, delay / 1000]);
      this.log.warn({ subscription: spec.id, event: event.eventNumber, attempts, retryInMs: delay, error: failure }, 'rest-hook delivery failed; will retry');
      return;
    }
    await this.db.query('UPDATE subscription_notification SET next_attempt = NULL WHERE subscription_id = $1 AND event_number = $2', [spec.id, event.eventNumber]);
    await this.db.query('UPDATE subscription_state SET failures = failures + 1 WHERE subscription_id = $1', [spec.id]);
    await setStatus(this.repo, this.log, spec.id, 'error', `Delivery of event ${event.eventNumber} failed ${attempts} times: ${failure}`);
  }

  /** POSTs one notification; returns why it failed, or undefined when the endpoint took it (2xx). */
  private async send(spec: SubscriptionSpec, event: StoredEvent): Promise<string | undefined> {
    const request = restHookRequest(this.config.baseUrl, spec, 'event-notification', [event]);
    return post(spec, request, this.config.subscriptionAllowPrivateEndpoints);
  }

  /** The handshake of a topic-based rest-hook subscription: undefined when the endpoint accepted it. */
  handshake(spec: SubscriptionSpec): Promise<string | undefined> {
    return post(spec, restHookRequest(this.config.baseUrl, spec, 'handshake', []), this.config.subscriptionAllowPrivateEndpoints);
  }

  private readonly activations = new Set<Promise<void>>();

  /** activate, in the background (stop waits for it). */
  activateSoon(id: string): void {
    if (this.runs.stopped) return;
    const run: Promise<void> = this.activate(id)
      .catch((err) => this.log.error({ subscription: id, error: (err as Error).message }, 'could not activate the subscription'))
      .finally(() => this.activations.delete(run));
    this.activations.add(run);
  }

  /** Sets a requested subscription up: a handshake for topic-based rest-hooks, then active (or error). */
  async activate(id: string): Promise<void> {
    let spec: SubscriptionSpec;
    try {
      const resource = (await this.repo.read('Subscription', id)) as Subscription;
      if (resource.status !== 'requested') return;
      spec = subscriptionSpec(resource, { baseUrl: this.config.baseUrl, allowPrivateEndpoints: this.config.subscriptionAllowPrivateEndpoints });
    } catch {
      return; // gone, or not one Meridian delivers (written around the API)
    }
    if (spec.channel === 'rest-hook' && spec.topic) {
      const failure = await this.handshake(spec);
      if (failure) return setStatus(this.repo, this.log, id, 'error', `Handshake failed: ${failure}`, 'requested');
    }
    await setStatus(this.repo, this.log, id, 'active', undefined, 'requested');
  }
}

interface HookRequest {
  url: string;
  method: 'POST' | 'PUT';
  body?: string;
  contentType?: string;
}

/**
 * What a notification is on the wire. Topic-based: a notification Bundle POSTed to the endpoint.
 * R4 criteria subscriptions (R4 Subscription, rest-hook): no payload, an empty POST; with a payload,
 * the resource PUT to endpoint/Type/id.
 */
function restHookRequest(baseUrl: string, spec: SubscriptionSpec, type: 'handshake' | 'heartbeat' | 'event-notification', events: StoredEvent[], eventsSinceStart?: string): HookRequest {
  const contentType = spec.payload ?? 'application/fhir+json';
  if (spec.topic) {
    const bundle = notificationBundle({ baseUrl, spec, status: type === 'handshake' ? 'requested' : 'active', type, eventsSinceStart: eventsSinceStart ?? events.at(-1)?.eventNumber ?? '0', events });
    return { url: spec.endpoint!, method: 'POST', body: JSON.stringify(bundle), contentType };
  }
  const event = events[0];
  if (!spec.payload || !event?.resource) return { url: spec.endpoint!, method: 'POST' };
  return { url: `${spec.endpoint!.replace(/\/+$/, '')}/${event.resourceType}/${event.id}`, method: 'PUT', body: JSON.stringify(event.resource), contentType };
}

async function post(spec: SubscriptionSpec, request: HookRequest, allowPrivate: boolean): Promise<string | undefined> {
  const refused = await endpointReachable(request.url, allowPrivate);
  if (refused) return refused;
  try {
    const headers: Record<string, string> = Object.fromEntries(spec.headers);
    if (request.contentType) headers['Content-Type'] = request.contentType;
    const res = await fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'manual', signal: AbortSignal.timeout(spec.timeoutSeconds * 1000) });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? undefined : `the endpoint answered ${res.status}`;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return e.name === 'TimeoutError' ? `no answer within ${spec.timeoutSeconds} s` : `${e.cause?.code ?? e.message}`;
  }
}
