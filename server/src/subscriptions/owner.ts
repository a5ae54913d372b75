// A subscription delivers only what its owner (who last wrote it) could read: the owner's SMART
// principal is kept with it, and the same permission code that bounds the owner's searches bounds
// what the dispatcher matches (a patient-bound token: that patient's compartment only).
import type { Config } from '../config.js';
import type { FhirContext, Principal } from '../fhir/context.js';
import { reach, searchBounds } from '../auth/index.js';
import type { Criterion } from '../search/index.js';
import { resourceScopes } from '../auth/scopes.js';

/** The owner as stored (JSON): the principal with its scopes as text (there is no token in it). */
export type StoredOwner = Exclude<Principal, { kind: 'token' }> | (Omit<Extract<Principal, { kind: 'token' }>, 'scopes'> & { scopes: string });

export function ownerOf(principal: Principal): StoredOwner {
  return principal.kind === 'token' ? { ...principal, scopes: principal.scopes.map((s) => s.text).join(' ') } : principal;
}

export function ownerFrom(stored: StoredOwner | null): Principal {
  if (!stored) return { kind: 'anonymous' }; // written around the API: it reaches nothing
  return stored.kind === 'token' ? { ...stored, scopes: resourceScopes(stored.scopes) } : stored;
}

/** The owner's reach on a type, as search criteria; undefined when the owner may not read that type at all. */
export function ownerBounds(config: Config, owner: Principal, resourceType: string): Criterion[] | undefined {
  // made while the server ran with AUTH_MODE=open: no longer anyone's once access is enforced
  if (owner.kind === 'open' && config.authMode !== 'open') return undefined;
  const ctx = { state: { principal: owner, app: { config } } } as unknown as FhirContext;
  if (reach(ctx, resourceType, 's') === 'none' || reach(ctx, resourceType, 'r') === 'none') return undefined;
  return searchBounds(ctx, [resourceType]);
}

/** Whether a caller is the subscription's owner: the same client, user and patient (anyone, when both are open). */
export function sameOwner(caller: Principal, owner: Principal): boolean {
  if (caller.kind === 'open') return true;
  if (caller.kind !== 'token' || owner.kind !== 'token') return false;
  return caller.clientId === owner.clientId && caller.accountId === owner.accountId && caller.patient === owner.patient;
}
