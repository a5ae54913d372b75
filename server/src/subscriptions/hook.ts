// Every write of a Subscription, whatever the path (create, update, patch, Bundle entries), is checked
// before it commits: one Meridian cannot deliver is refused (400, nothing written), and the writer
// becomes its owner, whose access bounds what it delivers (see owner.ts).
import type { Subscription } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import type { BeforeCommit } from '../repo/index.js';
import { ownerOf } from './owner.js';
import { subscriptionSpec } from './spec.js';

export function subscriptionWrites(ctx: FhirContext): BeforeCommit {
  return async (tx, written) => {
    for (const w of written) {
      if (w.resourceType !== 'Subscription') continue;
      if (w.method === 'DELETE') {
        await tx.run('DELETE FROM subscription_owner WHERE subscription_id = $1', [w.id]);
        continue;
      }
      const { config } = ctx.state.app;
      subscriptionSpec(w.resource as Subscription, { baseUrl: config.baseUrl, allowPrivateEndpoints: config.subscriptionAllowPrivateEndpoints });
      await tx.run(
        `INSERT INTO subscription_owner (subscription_id, principal) VALUES ($1, $2::jsonb)
         ON CONFLICT (subscription_id) DO UPDATE SET principal = EXCLUDED.principal`,
        [w.id, JSON.stringify(ownerOf(ctx.state.principal))],
      );
    }
  };
}
