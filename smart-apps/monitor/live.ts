// The live feed: a topic-based websocket Subscription (Subscriptions R5 Backport IG on R4) to
// "vital signs recorded" for the ward's patients, full-resource payloads. The socket binds with a
// short-lived token ($get-ws-binding-token); every notification carries its event number, so after a
// dropped connection (reconnected with backoff) the events missed meanwhile are fetched with $events
// and nothing is lost or shown twice.
import type { Bundle, Observation, Parameters, Subscription } from '@medplum/fhirtypes';
import { FhirError, messageOf } from '../shared/fhir.js';
import { fhirRequest, type Session } from '../shared/smart.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const VITALS_TOPIC = 'https://meridian.dev/fhir/SubscriptionTopic/vital-signs';
const HEARTBEAT_SECONDS = 10;
/** No message (event or heartbeat) for this long: the connection is dead even if the socket says otherwise. */
const SILENCE_MS = HEARTBEAT_SECONDS * 2500;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

export type FeedState =
  | { kind: 'connecting' }
  | { kind: 'live'; since: number }
  | { kind: 'reconnecting'; attempt: number; inMs: number; reason: string }
  | { kind: 'stopped' };

export interface FeedHandlers {
  /** Observations in event order (live or caught up); `caughtUp` when fetched with $events. */
  onObservations(observations: Observation[], caughtUp: boolean): void;
  onState(state: FeedState): void;
  onEventNumber?(n: number): void;
}

interface StatusInfo {
  type?: string;
  eventsSinceStart: number;
  events: number[];
}

function statusOf(bundle: Bundle): StatusInfo {
  const params = bundle.entry?.[0]?.resource as Parameters | undefined;
  const p = params?.parameter ?? [];
  return {
    type: p.find((x) => x.name === 'type')?.valueCode,
    eventsSinceStart: Number(p.find((x) => x.name === 'events-since-subscription-start')?.valueString ?? 0),
    events: p.filter((x) => x.name === 'notification-event').map((x) => Number(x.part?.find((y) => y.name === 'event-number')?.valueString ?? 0)),
  };
}

const observationsIn = (bundle: Bundle) =>
  (bundle.entry ?? []).slice(1).map((e) => e.resource).filter((r): r is Observation => r?.resourceType === 'Observation');

export class VitalsFeed {
  subscriptionId?: string;
  /** The highest event number handled. */
  lastEvent = 0;
  private socket?: WebSocket;
  private stopped = false;
  private attempt = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private watchdog?: ReturnType<typeof setInterval>;
  private lastMessage = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly onOnline = () => {
    if (this.retryTimer) this.retryNow();
  };

  constructor(
    private readonly session: Session,
    private readonly patientIds: string[],
    private readonly handlers: FeedHandlers,
  ) {}

  /** Creates the subscription (before the history is read, so that nothing written meanwhile is missed). */
  async subscribe(): Promise<void> {
    const subscription = {
      resourceType: 'Subscription',
      meta: { profile: [`${BACKPORT}/backport-subscription`] },
      status: 'requested',
      reason: 'Vitals monitor: the ward\'s vital signs',
      // abandoned (a closed tab) subscriptions end by themselves
      end: new Date(Date.now() + 12 * 3600_000).toISOString(),
      criteria: VITALS_TOPIC,
      _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: `patient=${this.patientIds.map((id) => `Patient/${id}`).join(',')}` }] },
      channel: {
        type: 'websocket',
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'full-resource' }] },
        extension: [{ url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: HEARTBEAT_SECONDS }],
      },
    };
    const created = await fhirRequest<Subscription>(this.session, 'Subscription', { method: 'POST', json: subscription });
    this.subscriptionId = created.id;
  }

  /** Opens the socket; from here on the feed keeps itself connected until stop(). */
  start(): void {
    window.addEventListener('online', this.onOnline);
    this.watchdog = setInterval(() => {
      if (this.socket && this.lastMessage && Date.now() - this.lastMessage > SILENCE_MS) this.drop('no heartbeat from the server');
    }, 2000);
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped || !this.subscriptionId) return;
    this.retryTimer = undefined;
    this.handlers.onState({ kind: 'connecting' });
    let url: string;
    let token: string;
    try {
      const params = await fhirRequest<Parameters>(this.session, `Subscription/${this.subscriptionId}/$get-ws-binding-token`);
      token = params.parameter?.find((p) => p.name === 'token')?.valueString ?? '';
      url = params.parameter?.find((p) => p.name === 'websocket-url')?.valueUrl ?? `${this.session.fhirBase.replace(/^http/, 'ws')}/ws`;
    } catch (e) {
      return this.retry(e instanceof FhirError && e.status === 0 ? 'the server cannot be reached' : messageOf(e));
    }
    if (this.stopped) return;
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.onopen = () => ws.send(`bind-with-token ${token}`);
    ws.onmessage = (m) => {
      if (ws !== this.socket) return;
      this.lastMessage = Date.now();
      // one message at a time, in order (a catch-up may be under way)
      this.queue = this.queue.then(() => this.message(String(m.data))).catch((e) => this.drop(messageOf(e)));
    };
    ws.onclose = () => {
      if (ws !== this.socket) return;
      this.socket = undefined;
      if (!this.stopped) this.retry('the connection closed');
    };
  }

  private async message(text: string): Promise<void> {
    const body = JSON.parse(text) as Bundle | { resourceType: 'OperationOutcome'; issue?: { diagnostics?: string }[] };
    if (body.resourceType === 'OperationOutcome') throw new Error(body.issue?.[0]?.diagnostics ?? 'the server refused the subscription');
    if (body.resourceType !== 'Bundle') return;
    const status = statusOf(body);
    if (status.type === 'handshake' || status.type === 'heartbeat') {
      if (status.type === 'handshake') {
        this.attempt = 0;
        this.handlers.onState({ kind: 'live', since: Date.now() });
      }
      // events recorded while we were away (or before the socket was bound): fetch them by number
      if (status.eventsSinceStart > this.lastEvent) await this.catchUp(status.eventsSinceStart);
      return;
    }
    if (status.type !== 'event-notification') return;
    const n = Math.max(...status.events);
    if (n <= this.lastEvent) return; // already had it (from $events)
    if (Math.min(...status.events) > this.lastEvent + 1) await this.catchUp(Math.min(...status.events) - 1);
    this.lastEvent = Math.max(this.lastEvent, n);
    this.handlers.onEventNumber?.(this.lastEvent);
    this.handlers.onObservations(observationsIn(body), false);
  }

  /** $events for (lastEvent, until], at most 1000 a call. */
  private async catchUp(until: number): Promise<void> {
    while (this.lastEvent < until) {
      const from = this.lastEvent + 1;
      const to = Math.min(until, from + 999);
      const bundle = await fhirRequest<Bundle>(this.session, `Subscription/${this.subscriptionId}/$events?eventsSinceNumber=${from}&eventsUntilNumber=${to}&content=full-resource`);
      if (this.lastEvent >= to) continue; // a live notification overtook us
      this.lastEvent = to;
      this.handlers.onEventNumber?.(this.lastEvent);
      this.handlers.onObservations(observationsIn(bundle), true);
    }
  }

  /** Closes a connection that is not working; the close handler reconnects. */
  private drop(reason: string): void {
    const ws = this.socket;
    this.socket = undefined;
    ws?.close();
    if (!this.stopped) this.retry(reason);
  }

  private retry(reason: string): void {
    if (this.stopped || this.retryTimer) return;
    const inMs = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    this.lastMessage = 0;
    this.handlers.onState({ kind: 'reconnecting', attempt: this.attempt, inMs, reason });
    this.retryTimer = setTimeout(() => void this.connect(), inMs);
  }

  /** Reconnects at once (the browser came back online, or the user asked). */
  retryNow(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.socket) void this.connect();
  }

  /** Closes the socket and turns the subscription off (a nurse may not delete it; the owner may). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    window.removeEventListener('online', this.onOnline);
    const ws = this.socket;
    this.socket = undefined;
    ws?.close();
    this.handlers.onState({ kind: 'stopped' });
    if (!this.subscriptionId) return;
    const mayDelete = this.session.scope.split(' ').some((s) => /^(user|patient)\/(Subscription|\*)\.[crus]*d/.test(s));
    try {
      if (mayDelete) {
        await fhirRequest(this.session, `Subscription/${this.subscriptionId}`, { method: 'DELETE' });
      } else {
        const sub = await fhirRequest<Subscription>(this.session, `Subscription/${this.subscriptionId}`);
        await fhirRequest(this.session, `Subscription/${this.subscriptionId}`, { method: 'PUT', json: { ...sub, status: 'off' } });
      }
    } catch {
      // it ends by itself (Subscription.end)
    }
  }
}
