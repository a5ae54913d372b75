// A real SMART app against Meridian: the `fhirclient` library (its browser build) on a page of its
// own origin, in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; never a
// downloaded browser). It does an EHR launch (a launch minted by POST /launch) and a standalone launch
// (patient picker), goes through Meridian's login and consent pages as a user would, and reads the
// patient and their Observations across origins (CORS). PGlite only: it is slow.
// Screenshots of the app at the end go to test-artifacts/.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testServer, type TestServer } from './harness.js';
import { authorize, exchange, launchParams, pkce, REDIRECT } from './smart-flow.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const FHIRCLIENT = path.join(ROOT, 'node_modules/fhirclient/build/fhir-client.min.js');
const CLIENT_ID = 'fhirclient-test-app';
const EHR_SCOPE = 'launch openid fhirUser patient/*.rs';
const STANDALONE_SCOPE = 'launch/patient openid fhirUser offline_access patient/*.rs';

const doctor = { username: 'dr.quinn', password: 'medicine-woman-1' };

let t: TestServer;
let fhirBase: string;
let app: http.Server;
let appOrigin: string;
let browser: Browser;
let practitioner: string;
let ada: string;
let charles: string;
let encounter: string;

/** launch.html: FHIR.oauth2.authorize (EHR launch when the URL has launch=, standalone otherwise). */
const launchPage = (iss: string) => `<!doctype html><html><head><meta charset="utf-8"><title>Launching</title>
<script src="fhir-client.js"></script></head><body><p>Launching…</p><script>
const launch = new URLSearchParams(location.search).has('launch');
FHIR.oauth2.authorize({
  clientId: ${JSON.stringify(CLIENT_ID)},
  scope: launch ? ${JSON.stringify(EHR_SCOPE)} : ${JSON.stringify(STANDALONE_SCOPE)},
  redirectUri: 'index.html',
  iss: ${JSON.stringify(iss)},
}).catch((e) => { document.body.textContent = 'authorize failed: ' + e; window.__result = { error: String(e && e.stack || e) }; });
</script></body></html>`;

/** index.html: FHIR.oauth2.ready, then the patient, their Observations, and a refresh when it may. */
const indexPage = `<!doctype html><html><head><meta charset="utf-8"><title>Test app</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem} pre{background:#eef2f7;padding:1rem}</style>
<script src="fhir-client.js"></script></head><body><h1>fhirclient test app</h1><div id="out">Loading…</div><script>
(async () => {
  const client = await FHIR.oauth2.ready();
  const patient = await client.patient.read();
  const observations = await client.request('Observation?patient=' + encodeURIComponent(client.patient.id));
  const encounter = client.encounter.id ? await client.encounter.read() : null;
  const tokenResponse = { ...client.state.tokenResponse };
  let refreshed = null;
  if (tokenResponse.refresh_token) {
    await client.refresh();
    refreshed = { changed: client.state.tokenResponse.access_token !== tokenResponse.access_token, patient: (await client.patient.read()).id };
  }
  const name = patient.name[0];
  document.getElementById('out').innerHTML = '<h2></h2><p>Observations: ' + (observations.entry || []).length + '</p><pre></pre>';
  document.querySelector('h2').textContent = (name.given || []).join(' ') + ' ' + name.family + ' (Patient/' + patient.id + ')';
  document.querySelector('pre').textContent = JSON.stringify({ patient: tokenResponse.patient, encounter: tokenResponse.encounter, scope: tokenResponse.scope, fhirUser: client.getFhirUser() }, null, 2);
  window.__result = { patient, observations, encounter, tokenResponse, fhirUser: client.getFhirUser(), userId: client.user.id, refreshed };
})().catch((e) => { document.getElementById('out').textContent = 'failed: ' + e; window.__result = { error: String(e && e.stack || e) }; });
</script></body></html>`;

/** The app's own site: another origin than Meridian's, so every call to Meridian is cross-origin. */
async function startApp(iss: string): Promise<http.Server> {
  const script = fs.readFileSync(FHIRCLIENT);
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://app');
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    if (pathname === '/launch.html') return send('text/html; charset=utf-8', launchPage(iss));
    if (pathname === '/index.html') return send('text/html; charset=utf-8', indexPage);
    if (pathname === '/fhir-client.js') return send('text/javascript', script);
    res.writeHead(pathname === '/favicon.ico' ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface AppResult {
  error?: string;
  patient: { resourceType: string; id: string; name: { family: string }[] };
  observations: { resourceType: string; entry?: { resource: { subject: { reference: string } } }[] };
  encounter: { id: string } | null;
  tokenResponse: Record<string, unknown>;
  fhirUser: string | null;
  userId: string | null;
  refreshed: { changed: boolean; patient: string } | null;
}

/** Page errors and failed requests, for the message when the app does not get there. */
function watch(page: Page): string[] {
  const log: string[] = [];
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && log.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`));
  page.on('requestfailed', (r) => log.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  return log;
}

async function appResult(page: Page, log: string[], name: string): Promise<AppResult> {
  try {
    await page.waitForFunction(() => (globalThis as unknown as { __result?: unknown }).__result, null, { timeout: 20_000 });
  } finally {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `fhirclient-${name}.png`), fullPage: true }).catch(() => undefined);
  }
  const result = (await page.evaluate(() => (globalThis as unknown as { __result: unknown }).__result)) as AppResult;
  expect(result.error, `${result.error}\n${log.join('\n')}`).toBeUndefined();
  return result;
}

async function signIn(page: Page) {
  await page.fill('#username', doctor.username);
  await page.fill('#password', doctor.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

beforeAll(async () => {
  const port = await freePort();
  fhirBase = `http://127.0.0.1:${port}/fhir`;
  // the app's origin is known before Meridian starts: its redirect_uri is registered in the clients file
  app = await startApp(fhirBase);
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const clients = [
    { client_id: CLIENT_ID, client_name: 'fhirclient test app', token_endpoint_auth_method: 'none', redirect_uris: [`${appOrigin}/index.html`], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    // the EHR's own app, whose user token mints launches (driven over HTTP by smart-flow.ts)
    { client_id: 'ehr', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-fhirclient-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify(clients));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json'), port, baseUrl: fhirBase });

  const { repo, auth } = t.server.app;
  practitioner = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Quinn', given: ['Michaela'] }] })).resource.id!;
  ada = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Lovelace', given: ['Ada'] }], birthDate: '1815-12-10' })).resource.id!;
  charles = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Babbage', given: ['Charles'] }], birthDate: '1791-12-26' })).resource.id!;
  encounter = (await repo.create({ resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: `Patient/${charles}` } })).resource.id!;
  const observation = (patient: string, value: number) => ({
    resourceType: 'Observation' as const,
    status: 'final' as const,
    code: { coding: [{ system: 'http://loinc.org', code: '8302-2', display: 'Body height' }] },
    subject: { reference: `Patient/${patient}` },
    valueQuantity: { value, unit: 'cm', system: 'http://unitsofmeasure.org', code: 'cm' },
  });
  await repo.create(observation(ada, 165));
  await repo.create(observation(charles, 170));
  await repo.create(observation(charles, 171));
  await auth.accounts.create({ ...doctor, role: 'doctor', displayName: 'Dr Michaela Quinn', fhirUser: `Practitioner/${practitioner}` });

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  await t?.close();
});

describe.skipIf(!fs.existsSync(CHROMIUM))(`fhirclient in headless Chromium (${CHROMIUM})`, () => {
  it('EHR launch: a launch minted by the launcher, login, consent, then the patient and encounter in context', async () => {
    // the EHR user's token (over HTTP, as launch.test.ts does), then POST /launch with it
    const { verifier, challenge } = pkce();
    const answer = await authorize(t, launchParams('ehr', 'openid fhirUser user/*.rs', challenge, { aud: fhirBase }), doctor);
    expect(answer.get('error'), answer.get('error_description') ?? '').toBeNull();
    const ehrToken = (await exchange(t, 'ehr', answer.get('code')!, verifier)).body.access_token as string;
    const minted = await t.http.post('/launch').auth(ehrToken, { type: 'bearer' }).send({ patient: charles, encounter, app: `${appOrigin}/launch.html` });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);
    const launchUrl = new URL(minted.body.url);
    expect(launchUrl.searchParams.get('iss')).toBe(fhirBase);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const log = watch(page);
      await page.goto(launchUrl.toString());
      await signIn(page);
      await page.getByRole('heading', { name: 'Allow fhirclient test app?' }).waitFor();
      expect(page.url().startsWith(`${new URL(fhirBase).origin}/interaction/`)).toBe(true);
      await page.getByRole('button', { name: 'Allow' }).click();
      const result = await appResult(page, log, 'ehr');
      expect(page.url().startsWith(`${appOrigin}/index.html?`)).toBe(true);

      expect(result.patient).toMatchObject({ resourceType: 'Patient', id: charles, name: [{ family: 'Babbage' }] });
      expect(result.encounter?.id).toBe(encounter);
      expect(result.tokenResponse).toMatchObject({ patient: charles, encounter, need_patient_banner: false, token_type: 'Bearer' });
      expect(String(result.tokenResponse.scope).split(' ')).toEqual(expect.arrayContaining(['launch', 'openid', 'fhirUser', 'patient/*.rs']));
      expect(result.fhirUser).toBe(`Practitioner/${practitioner}`);
      expect(result.observations.resourceType).toBe('Bundle');
      expect(result.observations.entry?.map((e) => e.resource.subject.reference)).toEqual([`Patient/${charles}`, `Patient/${charles}`]);
      expect(result.refreshed).toBeNull(); // no offline_access asked
    } finally {
      await context.close();
    }
  });

  it('standalone launch: login, patient picker, consent, then the chosen patient; refresh without client_id', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const log = watch(page);
      const tokenForms: URLSearchParams[] = [];
      page.on('request', (r) => r.method() === 'POST' && r.url() === `${new URL(fhirBase).origin}/auth/token` && tokenForms.push(new URLSearchParams(r.postData() ?? '')));
      await page.goto(`${appOrigin}/launch.html`);
      await signIn(page);
      await page.fill('#q', 'Lovelace');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('Ada Lovelace').click();
      await page.getByRole('button', { name: 'Open this patient' }).click();
      await page.getByRole('button', { name: 'Allow' }).click();
      const result = await appResult(page, log, 'standalone');

      expect(result.patient).toMatchObject({ resourceType: 'Patient', id: ada, name: [{ family: 'Lovelace' }] });
      expect(result.encounter).toBeNull();
      expect(result.tokenResponse).toMatchObject({ patient: ada, need_patient_banner: true });
      expect(result.tokenResponse.refresh_token).toEqual(expect.any(String));
      expect(result.fhirUser).toBe(`Practitioner/${practitioner}`);
      expect(result.observations.entry?.map((e) => e.resource.subject.reference)).toEqual([`Patient/${ada}`]);
      // fhirclient refreshes as a public client without client_id, from the app's origin
      expect(result.refreshed).toEqual({ changed: true, patient: ada });
      expect(tokenForms.map((f) => f.get('grant_type'))).toEqual(['authorization_code', 'refresh_token']);
      expect(tokenForms[1].has('client_id')).toBe(false);
    } finally {
      await context.close();
    }
  });
});
