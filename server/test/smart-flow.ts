// A browser's part of a SMART App Launch, driven over HTTP: follows the authorization server's
// redirects, keeps its cookies, fills in the login form, picks a patient and consents. Tests use it
// to get authorization codes as a real user would.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestServer } from './harness.js';

export const FHIR = 'http://localhost/fhir';
export const REDIRECT = 'http://app.example/callback';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface User {
  username: string;
  password: string;
  code?: string;
}

export interface Steps {
  /** Patient picker: the search to type and the id to choose. */
  pick?: { query: string; patient: string };
  /** Say no at the consent page. */
  deny?: boolean;
  /** Inspect each HTML page on the way (login, picker, consent). */
  onPage?: (path: string, html: string) => void;
}

/** A cookie jar that is as simple as the test needs: every cookie goes back on every request. */
class Browser {
  private cookies = new Map<string, string>();
  constructor(private readonly t: TestServer) {}

  private remember(res: { headers: Record<string, unknown> }) {
    for (const line of [res.headers['set-cookie'] ?? []].flat() as string[]) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
  }

  private header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string) {
    const res = await this.t.http.get(path).set('Cookie', this.header()).redirects(0);
    this.remember(res);
    return res;
  }

  async post(path: string, form: Record<string, string>) {
    const res = await this.t.http.post(path).set('Cookie', this.header()).type('form').send(form).redirects(0);
    this.remember(res);
    return res;
  }
}

/** The path and query of a Location (the provider writes absolute URLs on its issuer's host). */
const local = (location: string) => {
  const u = new URL(location, 'http://localhost');
  return u.pathname + u.search;
};

/**
 * Runs an authorization request through login, picker and consent. Returns the query the app's
 * redirect_uri receives (code and state, or error and error_description).
 */
export async function authorize(t: TestServer, params: Record<string, string>, user: User, steps: Steps = {}, browser = new Browser(t)): Promise<URLSearchParams> {
  let res = await browser.get(`/auth/auth?${new URLSearchParams(params)}`);
  for (let hop = 0; hop < 20; hop++) {
    if (res.status === 303 || res.status === 302) {
      const location = res.headers.location as string;
      if (location.startsWith(params.redirect_uri ?? REDIRECT)) return new URL(location).searchParams;
      res = await browser.get(local(location));
      continue;
    }
    const path = (res as unknown as { req: { path: string } }).req.path.split('?')[0];
    expect(res.status, `${path}: ${res.text.slice(0, 500)}`).toBe(200);
    steps.onPage?.(path, res.text);
    const uid = /^\/interaction\/([^/]+)/.exec(path)?.[1];
    if (!uid) throw new Error(`unexpected page ${path}`);
    if (res.text.includes('name="password"')) {
      res = await browser.post(`/interaction/${uid}/login`, { username: user.username, password: user.password, ...(user.code ? { code: user.code } : {}) });
      if (res.status === 401) throw new Error(`login refused: ${/role="alert">([^<]*)/.exec(res.text)?.[1]}`);
    } else if (res.text.includes('Choose a patient')) {
      if (!steps.pick) throw new Error('the picker was shown but the test picks no patient');
      const searched = await browser.get(`/interaction/${uid}?q=${encodeURIComponent(steps.pick.query)}`);
      steps.onPage?.(path, searched.text);
      expect(searched.text).toContain(`value="${steps.pick.patient}"`);
      res = await browser.get(`/interaction/${uid}?patient=${steps.pick.patient}`);
    } else if (res.text.includes('formaction')) {
      const patient = /name="patient" value="([^"]+)"/.exec(res.text)?.[1];
      res = await browser.post(`/interaction/${uid}/${steps.deny ? 'abort' : 'confirm'}`, patient ? { patient } : {});
    } else throw new Error(`unexpected page ${path}: ${res.text.slice(0, 300)}`);
  }
  throw new Error('too many redirects');
}

export { Browser };

/** The authorization request of a SMART app, with PKCE. */
export function launchParams(clientId: string, scope: string, challenge: string, extra: Record<string, string> = {}) {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: randomBytes(8).toString('hex'),
    aud: FHIR,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

export async function exchange(t: TestServer, clientId: string, code: string, verifier: string, auth?: { secret: string }) {
  const req = t.http.post('/auth/token').type('form');
  if (auth) req.auth(clientId, auth.secret);
  return req.send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...(auth ? {} : { client_id: clientId }) });
}

/**
 * A user's token for the public client clientId, through the whole flow (login, picker, consent,
 * code exchange with PKCE); fails the test unless the token endpoint answers 200.
 */
export async function userToken(t: TestServer, clientId: string, user: User, scope: string, steps: Steps = {}) {
  const { verifier, challenge } = pkce();
  const answer = await authorize(t, launchParams(clientId, scope, challenge), user, steps);
  const res = await exchange(t, clientId, answer.get('code')!, verifier);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { access_token: string; scope: string; patient?: string };
}
