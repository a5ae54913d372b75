// The subscriptions a dispatcher matches against, kept in memory and reloaded when any Subscription
// was written since (by a client or by the server; by this process or another): a cheap check of the
// Subscription history's size and newest row at every dispatch.
import type { Subscription } from '@medplum/fhirtypes';
import type { Config } from '../config.js';
import type { Queryable } from '../db/index.js';
import type { Principal } from '../fhir/context.js';
import type { Logger } from '../logger.js';
import type { Criterion } from '../search/index.js';
import { ownerBounds, ownerFrom, type StoredOwner } from './owner.js';
import { subscriptionSpec, type SubscriptionSpec } from './spec.js';

export interface KnownSubscription {
  spec: SubscriptionSpec;
  owner: Principal;
  /** The owner's reach on the watched type (undefined: none, so nothing is delivered). */
  bounds?: Criterion[];
}

export class SubscriptionRegistry {
  private key = '';
  private all = new Map<string, KnownSubscription>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  /** Whether, as last loaded, a live rest-hook subscription exists (no query: for wake-ups). */
  hasLiveRestHooks(): boolean {
    for (const s of this.all.values()) if (s.spec.channel === 'rest-hook' && isLive(s.spec)) return true;
    return false;
  }

  /** Every stored subscription Meridian understands, by id, reloaded when Subscriptions changed. */
  async current(db: Queryable): Promise<Map<string, KnownSubscription>> {
    const { rows } = await db.query<{ key: string }>(
      `SELECT count(*)::text || ':' || coalesce(max(seq), 0)::text AS key FROM resource_history WHERE resource_type = 'Subscription'`,
      [],
      'meridian_subscriptions_key',
    );
    if (rows[0].key === this.key) return this.all;
    const { rows: subs } = await db.query<{ content: Subscription; principal: StoredOwner | null }>(
      `SELECT r.content, o.principal FROM resources r LEFT JOIN subscription_owner o ON o.subscription_id = r.id
       WHERE r.resource_type = 'Subscription' AND NOT r.deleted`,
    );
    const all = new Map<string, KnownSubscription>();
    for (const { content, principal } of subs) {
      try {
        const spec = subscriptionSpec(content, { baseUrl: this.config.baseUrl, allowPrivateEndpoints: this.config.subscriptionAllowPrivateEndpoints });
        const owner = ownerFrom(principal);
        all.set(spec.id, { spec, owner, bounds: ownerBounds(this.config, owner, spec.resourceType) });
      } catch (err) {
        this.log.warn({ subscription: content.id, error: (err as Error).message }, 'a stored Subscription cannot be delivered');
      }
    }
    this.all = all;
    this.key = rows[0].key;
    return all;
  }
}

/** Whether a subscription is matched against new events: requested (being set up) or active, and not past its end. */
export function isLive(spec: SubscriptionSpec, now = Date.now()): boolean {
  return (spec.status === 'active' || spec.status === 'requested') && (!spec.end || Date.parse(spec.end) > now);
}
