// SMART App Launch for every app, through `fhirclient` (SMART's own JS library), so that an app runs
// the same when Meridian's launcher opens it and when another EHR does. What an app knows of its
// host comes from ./client.json next to its page: { clientId, scope, iss? } (Meridian serves it per
// app; another site hosting the same bundle serves its own).
import FHIR from 'fhirclient';
type Client = Awaited<ReturnType<typeof FHIR.oauth2.ready>>;
import { FhirError, humanName, readableError } from './fhir.js';

export interface AppConfig {
  clientId: string;
  scope: string;
  /** The FHIR server a standalone launch signs in to (an EHR launch brings its own iss). */
  iss?: string;
}

export interface Session {
  client: Client;
  fhirBase: string;
  /** The patient and encounter in context (EHR launch, launch/patient), when there is one. */
  patientId?: string;
  encounterId?: string;
  /** e.g. Practitioner/123 or Patient/456 (the id_token's fhirUser). */
  fhirUser?: string;
  scope: string;
  accessToken: string;
}

/**
 * Returns the signed-in session, or starts the authorization (and never resolves: the page leaves).
 * An earlier session in this tab is reused only if it is this app's (sessionStorage is per origin,
 * and Meridian's apps share one).
 */
export async function startSession(options: { interactive?: boolean } = {}): Promise<Session | undefined> {
  const config = await readConfig();
  const url = new URL(location.href);
  const returning = url.searchParams.has('code') || url.searchParams.has('error');
  if (url.searchParams.has('error')) {
    throw new Error(`Sign-in was not completed: ${url.searchParams.get('error_description') ?? url.searchParams.get('error')}`);
  }
  const launched = url.searchParams.has('launch') && url.searchParams.has('iss');
  if (!returning && !launched && !storedSessionIsOurs(config.clientId)) {
    if (options.interactive) return undefined; // the app shows a sign-in button first
    await signIn(config);
    return new Promise<never>(() => {});
  }
  if (launched) {
    await FHIR.oauth2.authorize({ clientId: config.clientId, scope: config.scope, redirectUri: redirectUri() });
    return new Promise<never>(() => {});
  }
  const client = await FHIR.oauth2.ready();
  if (returning) history.replaceState(null, '', redirectUri()); // the code is spent: keep the URL clean
  const token = client.state.tokenResponse ?? {};
  return {
    client,
    fhirBase: client.state.serverUrl.replace(/\/+$/, ''),
    patientId: client.patient.id ?? undefined,
    encounterId: client.encounter.id ?? undefined,
    fhirUser: client.getFhirUser() ?? undefined,
    scope: String(token.scope ?? ''),
    accessToken: String(token.access_token ?? ''),
  };
}

/** A standalone launch against the configured server. */
export async function signIn(config?: AppConfig): Promise<void> {
  const c = config ?? (await readConfig());
  await FHIR.oauth2.authorize({ clientId: c.clientId, scope: c.scope, redirectUri: redirectUri(), iss: c.iss ?? `${location.origin}/fhir` });
}

/** Forgets this tab's session (the server's sign-in session stays until it ends). */
export function signOut(): void {
  sessionStorage.clear();
  location.assign(redirectUri());
}

/** This page without query or hash: the registered redirect_uri. */
export const redirectUri = () => `${location.origin}${location.pathname}`;

async function readConfig(): Promise<AppConfig> {
  const res = await fetch(new URL('client.json', redirectUri()), { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`This app's configuration (client.json) could not be read: HTTP ${res.status}`);
  return (await res.json()) as AppConfig;
}

function storedSessionIsOurs(clientId: string): boolean {
  try {
    const key = JSON.parse(sessionStorage.getItem('SMART_KEY') ?? 'null');
    const state = key ? JSON.parse(sessionStorage.getItem(key) ?? 'null') : null;
    return state?.clientId === clientId && Boolean(state?.tokenResponse?.access_token);
  } catch {
    return false;
  }
}

/** JSON from the FHIR server with the session's token; an error becomes a FhirError with a readable message. */
export async function fhirRequest<T = unknown>(session: Session, path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/fhir+json');
  headers.set('Authorization', `Bearer ${session.client.state.tokenResponse?.access_token ?? ''}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/fhir+json');
    body = JSON.stringify(init.json);
  }
  const url = /^https?:/.test(path) ? path : `${session.fhirBase}/${path.replace(/^\//, '')}`;
  let res: Response;
  try {
    // always the server's current version (a stale cached copy would break the next conditional write)
    res = await fetch(url, { cache: 'no-store', ...init, headers, body });
  } catch (e) {
    throw new FhirError(0, `The server could not be reached (${(e as Error).message}).`);
  }
  const text = await res.text();
  const parsed = text ? safeJson(text) : undefined;
  if (!res.ok) throw new FhirError(res.status, readableError(res.status, parsed), parsed);
  return parsed as T;
}

const safeJson = (text: string) => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Who is signed in, as a name (the fhirUser resource's), falling back to the reference. */
export async function userName(session: Session): Promise<string> {
  if (!session.fhirUser) return '';
  try {
    const user = await fhirRequest<{ name?: import('@medplum/fhirtypes').HumanName[] }>(session, session.fhirUser);
    return user.name?.length ? humanName(user.name) : session.fhirUser;
  } catch {
    return session.fhirUser;
  }
}
