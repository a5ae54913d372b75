// Opening another app as an EHR does (SMART EHR launch): Meridian's POST /launch mints a launch
// value for the patient in context, and the app is opened at its launch URL with ?iss=&launch=.
import type { LaunchableApp } from '../catalog.js';
import { fhirRequest, type Session } from './smart.js';

export type { LaunchableApp };

export async function launchUrlFor(session: Session, appUrl: string, patient: string, encounter?: string): Promise<string> {
  const origin = new URL(session.fhirBase).origin;
  const minted = await fhirRequest<{ url: string }>(session, `${origin}/launch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ patient, app: appUrl, ...(encounter ? { encounter } : {}) }),
  });
  return minted.url;
}

export async function launchApp(session: Session, appUrl: string, patient: string, encounter?: string): Promise<void> {
  location.assign(await launchUrlFor(session, appUrl, patient, encounter));
}

export async function launchableApps(session: Session): Promise<LaunchableApp[]> {
  const res = await fetch(`${new URL(session.fhirBase).origin}/apps/registry.json`);
  if (!res.ok) throw new Error(`The list of apps could not be read (HTTP ${res.status})`);
  return ((await res.json()) as { apps: LaunchableApp[] }).apps;
}

/** For CDS cards: a SMART link (type "smart") opened with an EHR launch for the patient in context. */
export const smartLinkLauncher = (session: Session, patient: string) => (url: string) => {
  launchUrlFor(session, url, patient).then((target) => window.open(target, '_blank', 'noopener'));
};
