// SMART launch context. An EHR launch starts with a `launch` value minted here, carrying the patient
// (and encounter) the EHR has open; a standalone launch gets its patient from the picker. Once the
// user consents, the context is kept for the grant, so every token of it (refreshes too) carries it.
import { randomBytes } from 'node:crypto';
import type { Adapter } from 'oidc-provider';

export interface LaunchContext {
  /** Bare ids, as SMART's token response has them. */
  patient?: string;
  encounter?: string;
  /** Whether the app should show which patient is open (the EHR shows it when it launched the app). */
  needPatientBanner?: boolean;
  /** The role of the user who consented: their tokens reach what the role allows (roles.ts). */
  role?: string;
  /** Who consented (for the audit trail of what their tokens do). */
  username?: string;
  /** Their FHIR resource, relative (Practitioner/123). */
  fhirUser?: string;
}

/** A minted launch is good for an hour: long enough to open an app, short enough not to linger. */
const LAUNCH_SECONDS = 3600;
/** Contexts live as long as the grant can (oidc-provider's default Grant lifetime: 14 days). */
const GRANT_SECONDS = 14 * 24 * 3600;

export class LaunchContexts {
  private readonly launches: Adapter;
  private readonly grants: Adapter;

  constructor(adapter: new (model: string) => Adapter) {
    this.launches = new adapter('SmartLaunch');
    this.grants = new adapter('SmartContext');
  }

  /** A new `launch` value for an EHR launch with this context. */
  async mint(context: LaunchContext): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    await this.launches.upsert(id, { ...context }, LAUNCH_SECONDS);
    return id;
  }

  async launch(id: string): Promise<LaunchContext | undefined> {
    return (await this.launches.find(id)) as LaunchContext | undefined;
  }

  async saveForGrant(grantId: string, context: LaunchContext): Promise<void> {
    await this.grants.upsert(grantId, { ...context }, GRANT_SECONDS);
  }

  async forGrant(grantId: string): Promise<LaunchContext | undefined> {
    return (await this.grants.find(grantId)) as LaunchContext | undefined;
  }
}
