// Notification Bundles of the Subscriptions R5 Backport IG for R4: type history, a SubscriptionStatus
// (a Parameters with the backport-subscription-status-r4 profile) first, then the resources of the
// events when the payload is full-resource. Also the stored notifications they are built from.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/index.js';
import { inReadingOrder } from '../repo/present.js';
import { BACKPORT, type PayloadContent, type SubscriptionSpec } from './spec.js';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

/** One recorded event of a subscription (a row of subscription_notification). */
export interface StoredEvent {
  eventNumber: string;
  resourceType: string;
  id: string;
  versionId: number;
  at: Date;
  /** The version's content, when the payload carries it. */
  resource?: Resource;
}

export interface StatusInput {
  baseUrl: string;
  spec: SubscriptionSpec;
  status: string;
  type: NotificationType;
  eventsSinceStart: string;
  events?: StoredEvent[];
  content?: PayloadContent;
  error?: string;
}

export function subscriptionStatus(o: StatusInput): Parameters {
  const content = o.content ?? o.spec.content;
  const parameter: ParametersParameter[] = [{ name: 'subscription', valueReference: { reference: `${o.baseUrl}/Subscription/${o.spec.id}` } }];
  if (o.spec.topic && content !== 'empty') parameter.push({ name: 'topic', valueCanonical: o.spec.topic.url });
  parameter.push({ name: 'status', valueCode: o.status }, { name: 'type', valueCode: o.type }, { name: 'events-since-subscription-start', valueString: o.eventsSinceStart });
  for (const e of o.events ?? []) {
    const part: ParametersParameter[] = [{ name: 'event-number', valueString: e.eventNumber }, { name: 'timestamp', valueInstant: new Date(e.at).toISOString() }];
    if (content !== 'empty') part.push({ name: 'focus', valueReference: { reference: `${o.baseUrl}/${e.resourceType}/${e.id}` } });
    parameter.push({ name: 'notification-event', part });
  }
  if (o.error) parameter.push({ name: 'error', valueCodeableConcept: { text: o.error } });
  return { resourceType: 'Parameters', id: randomUUID(), meta: { profile: [`${BACKPORT}/backport-subscription-status-r4`] }, parameter };
}

/** A notification Bundle (history): the status, then each event's resource for full-resource payloads. */
export function notificationBundle(o: StatusInput): Bundle {
  const status = subscriptionStatus(o);
  const entry: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${status.id}`,
      resource: status,
      request: { method: 'GET', url: `${o.baseUrl}/Subscription/${o.spec.id}/$status` },
      response: { status: '200' },
    },
  ];
  if ((o.content ?? o.spec.content) === 'full-resource') {
    for (const e of o.events ?? []) {
      if (!e.resource) continue;
      const created = e.versionId === 1;
      entry.push({
        fullUrl: `${o.baseUrl}/${e.resourceType}/${e.id}`,
        resource: e.resource,
        request: { method: created ? 'POST' : 'PUT', url: created ? e.resourceType : `${e.resourceType}/${e.id}` },
        response: { status: created ? '201' : '200' },
      });
    }
  }
  return { resourceType: 'Bundle', id: randomUUID(), type: 'history', timestamp: new Date().toISOString(), entry };
}

interface NotificationRow {
  subscription_id: string;
  event_number: string;
  resource_type: string;
  resource_id: string;
  version_id: number;
  at: Date;
  content?: Resource | null;
}

export const toStoredEvent = (r: NotificationRow): StoredEvent => ({
  eventNumber: r.event_number,
  resourceType: r.resource_type,
  id: r.resource_id,
  versionId: r.version_id,
  at: r.at,
  resource: r.content ? inReadingOrder(r.content) : undefined,
});

/**
 * Stored notifications of several subscriptions, each after its own event number (and up to
 * `until`), oldest first, at most `limit` per subscription; withContent: with each version's content.
 */
export async function storedEvents(
  db: Queryable,
  after: { subscription: string; after: string; until?: string }[],
  withContent: boolean,
  limit = 1000,
): Promise<Map<string, StoredEvent[]>> {
  const out = new Map<string, StoredEvent[]>();
  if (!after.length) return out;
  // one index range scan per subscription (LATERAL + LIMIT): a join over the whole table is what
  // the planner picks while the table grows faster than it is analyzed
  const { rows } = await db.query<NotificationRow>(
    `SELECT n.subscription_id, n.event_number::text AS event_number, n.resource_type, n.resource_id, n.version_id, n.at
            ${withContent ? ', h.content' : ''}
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS c(sub, after, until)
     CROSS JOIN LATERAL (
       SELECT * FROM subscription_notification n
       WHERE n.subscription_id = c.sub AND n.event_number > c.after AND (c.until IS NULL OR n.event_number <= c.until)
       ORDER BY n.event_number LIMIT $4) n
     ${withContent ? 'LEFT JOIN resource_history h ON h.resource_type = n.resource_type AND h.id = n.resource_id AND h.version_id = n.version_id' : ''}
     ORDER BY n.subscription_id, n.event_number`,
    [after.map((a) => a.subscription), after.map((a) => a.after), after.map((a) => a.until ?? null), limit],
  );
  for (const r of rows) out.set(r.subscription_id, [...(out.get(r.subscription_id) ?? []), toStoredEvent(r)]);
  return out;
}

/** events-since-subscription-start of a subscription now. */
export async function eventCount(db: Queryable, subscription: string): Promise<string> {
  const { rows } = await db.query<{ events: string }>('SELECT events::text AS events FROM subscription_state WHERE subscription_id = $1', [subscription]);
  return rows[0]?.events ?? '0';
}
