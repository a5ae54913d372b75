// The server's own changes to a Subscription's status: requested -> active once it is set up (a
// rest-hook topic subscription after a successful handshake), -> error with the reason when its
// endpoint keeps failing, -> off when its end has passed. Written as new versions, so clients (and other processes) see them.
import type { Subscription } from '@medplum/fhirtypes';
import type { Repository } from '../repo/index.js';
import type { Logger } from '../logger.js';
import type { Queryable } from '../db/index.js';

export async function setStatus(repo: Repository, log: Logger, id: string, status: 'active' | 'error' | 'off', error?: string, onlyFrom?: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let current: Subscription;
    try {
      current = (await repo.read('Subscription', id)) as Subscription;
    } catch {
      return; // deleted meanwhile
    }
    if (onlyFrom && current.status !== onlyFrom) return;
    if (current.status === status && current.error === error) return;
    const { error: _old, ...rest } = current;
    try {
      await repo.update('Subscription', id, { ...rest, status, ...(error ? { error } : {}) }, Number(current.meta?.versionId));
      log.info({ subscription: id, status, error }, `Subscription/${id} is now ${status}`);
      return;
    } catch {
      // changed by its owner meanwhile: look again
    }
  }
}

/** When a client is removed, what it subscribed to stops (its owner can no longer be asked). */
export async function turnOffSubscriptionsOf(db: Queryable, repo: Repository, log: Logger, clientId: string): Promise<void> {
  const { rows } = await db.query<{ subscription_id: string }>(`SELECT subscription_id FROM subscription_owner WHERE principal->>'clientId' = $1`, [clientId]);
  for (const { subscription_id } of rows) await setStatus(repo, log, subscription_id, 'off', `Its owner, client ${clientId}, was removed`);
}
