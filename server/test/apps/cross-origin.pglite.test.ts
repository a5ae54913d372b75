// An app launched by another EHR from another origin: the chart's built bundle served by a plain
// static site of its own (its own client.json naming a client registered for that origin), launched
// with a launch minted by a generic EHR (this test: its user's token from Meridian's authorization
// server, then POST /launch, as any EHR integrating Meridian would) — not Meridian's launcher. Every
// call the app makes (discovery, token, FHIR, CDS Hooks) crosses origins.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPS_DIST } from '../../src/apps/index.js';
import { authorize, exchange, launchParams, pkce, REDIRECT } from '../smart-flow.js';
import { appsWorld, expectAccessible, newPage, screenshot, signIn, type AppsWorld } from './browser.js';
import { findApp } from '../../../smart-apps/catalog.js';

const CLIENT_ID = 'other-ehr-chart';
let world: AppsWorld;
let site: http.Server;
let siteOrigin: string;

/** The other site: the chart's files as built, its own client.json, nothing of Meridian's server. */
function startSite(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://site');
    if (pathname === '/chart/client.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ clientId: CLIENT_ID, scope: findApp('chart')!.scope }));
      return;
    }
    const relative = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
    const file = path.join(APPS_DIST, path.normalize(relative));
    if (!file.startsWith(APPS_DIST) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.css') ? 'text/css' : file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  site = await startSite();
  // "localhost" vs Meridian's "127.0.0.1": another origin (and another site for cookies)
  siteOrigin = `http://localhost:${(site.address() as AddressInfo).port}`;
  const clients = [
    { client_id: CLIENT_ID, client_name: 'Chart on another site', token_endpoint_auth_method: 'none', redirect_uris: [`${siteOrigin}/chart/`], grant_types: ['authorization_code'], response_types: ['code'] },
    { client_id: 'generic-ehr', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-cross-origin-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify(clients));
  world = await appsWorld({ patients: 2, config: { authClientsFile: path.join(dir, 'clients.json') } });
});
afterAll(async () => {
  await world?.close();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

describe('an app launched by a generic EHR from another origin', () => {
  it('runs the chart with the patient the EHR put in context', async () => {
    const { db, repo } = world.t.server.app;
    const ids = (await db.query<{ id: string }>(`SELECT id FROM resources WHERE resource_type = 'Patient' ORDER BY id`)).rows;
    const patient = (await repo.read('Patient', ids[1].id)) as unknown as { id: string; name?: { family?: string }[] };
    // the EHR's user signs in to Meridian's authorization server and the EHR mints a launch
    const { verifier, challenge } = pkce();
    const doctor = world.accounts.doctor;
    const answer = await authorize(world.t, launchParams('generic-ehr', 'openid fhirUser user/Patient.rs', challenge, { aud: world.fhirBase }), doctor);
    expect(answer.get('error'), answer.get('error_description') ?? '').toBeNull();
    const ehrToken = (await exchange(world.t, 'generic-ehr', answer.get('code')!, verifier)).body.access_token as string;
    const minted = await world.t.http.post('/launch').auth(ehrToken, { type: 'bearer' }).send({ patient: patient.id });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);

    const { page, log } = await newPage(world);
    const launchUrl = `${siteOrigin}/chart/?iss=${encodeURIComponent(minted.body.iss)}&launch=${encodeURIComponent(minted.body.launch)}`;
    await page.goto(launchUrl);
    await signIn(page, doctor);
    await page.waitForURL(`${siteOrigin}/chart/`, { timeout: 20_000 });
    const name = patient.name?.[0]?.family ?? '';
    await expect.poll(() => page.getByRole('region', { name: 'Patient' }).textContent().catch(() => ''), { message: log.join('\n'), timeout: 20_000 }).toContain(name);
    expect(log.filter((l) => /CORS|pageerror|HTTP 5/.test(l)), log.join('\n')).toEqual([]);
    await expectAccessible(page, 'cross-origin-chart');
    await screenshot(page, 'cross-origin-chart');
  });
});
