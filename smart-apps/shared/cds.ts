// CDS Hooks from the apps: server/src/cds/client.ts (browser-safe) with the app's SMART access token
// as the caller's credential (Meridian accepts its own apps' tokens; other CDS clients sign JWTs).
import { CdsHooksClient, type CdsFeedbackEntry } from '../../server/src/cds/client.js';
import type { CdsCard, CdsResponse, CdsSuggestion, Hook } from '../../server/src/cds/types.js';
import type { Session } from './smart.js';

export type { CdsFeedbackEntry, CdsResponse, CdsSuggestion };
export type Card = CdsCard;

export interface HookResult {
  serviceId: string;
  cards: Card[];
}

export function cdsClient(session: Session): CdsHooksClient {
  return new CdsHooksClient({ servicesUrl: new URL(session.fhirBase).origin, jwt: () => session.accessToken });
}

/** Calls every service of the hook (Meridian fetches what it needs with the app's token). */
export async function callHook(session: Session, hook: Hook, context: Record<string, unknown>): Promise<HookResult[]> {
  const client = cdsClient(session);
  const services = await client.servicesFor(hook);
  const fhir = { fhirServer: session.fhirBase, accessToken: session.accessToken, scope: session.scope, subject: session.fhirUser ?? 'unknown' };
  return Promise.all(services.map(async (s) => ({ serviceId: s.id, cards: (await client.call(s, context, fhir)).cards ?? [] })));
}

export async function sendFeedback(session: Session, serviceId: string, entries: CdsFeedbackEntry[]): Promise<void> {
  await cdsClient(session).feedback(serviceId, entries);
}
