// CORS for browser apps on another origin: the FHIR API (and the launcher) answer preflights without
// a token and let any origin read their responses (tokens travel in Authorization, not cookies); the
// authorization server's token endpoint lets a public client in only from its redirect_uris' origins.
// The real thing, in Chromium with fhirclient, is fhirclient.pglite.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';

const APP = 'http://app.example:8000';
const OTHER = 'http://evil.example';
const SECRET = 'backend-secret-0123456789abcdef';

let t: TestServer;
let token: string;
let patientId: string;

beforeAll(async () => {
  const clients = [
    { client_id: 'browser-app', token_endpoint_auth_method: 'none', redirect_uris: [`${APP}/index.html`], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    { client_id: 'backend', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [`${APP}/callback`], grant_types: ['client_credentials', 'authorization_code'], response_types: ['code'] },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-cors-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify(clients));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json') });
  patientId = (await t.server.app.repo.create({ resourceType: 'Patient', name: [{ family: 'Hopper' }] })).resource.id!;
  const res = await t.http.post('/auth/token').auth('backend', SECRET).type('form').send({ grant_type: 'client_credentials', scope: 'system/Patient.rs' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  token = res.body.access_token;
});

afterAll(() => t?.close());

describe('FHIR API', () => {
  it('answers a preflight with an Authorization header 204, without a token', async () => {
    const res = await t.http
      .options(`/fhir/Patient/${patientId}`)
      .set('Origin', APP)
      .set('Access-Control-Request-Method', 'PUT')
      .set('Access-Control-Request-Headers', 'authorization, content-type, if-match');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods'].split(',')).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']));
    const allowed = res.headers['access-control-allow-headers'].toLowerCase().split(',');
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'accept', 'if-match', 'if-none-exist', 'if-none-match', 'prefer']));
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(res.text).toBe('');
  });

  it('lets the app read a response, its ETag and Location, and a 401', async () => {
    const read = await t.http.get(`/fhir/Patient/${patientId}`).set('Origin', APP).auth(token, { type: 'bearer' });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBe('*');
    expect(read.headers['access-control-allow-credentials']).toBeUndefined();
    const exposed = read.headers['access-control-expose-headers'].split(',');
    expect(exposed).toEqual(expect.arrayContaining(['Location', 'ETag', 'Content-Location', 'Last-Modified', 'X-Progress', 'Retry-After']));

    const anonymous = await t.http.get(`/fhir/Patient/${patientId}`).set('Origin', APP);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['access-control-allow-origin']).toBe('*');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('covers the launcher, and leaves requests without Origin alone', async () => {
    const preflight = await t.http.options('/launch').set('Origin', APP).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization, content-type');
    expect(preflight.status).toBe(204);
    const plain = await t.http.get(`/fhir/Patient/${patientId}`).auth(token, { type: 'bearer' });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('token endpoint', () => {
  const exchange = (origin: string, client = 'browser-app') =>
    t.http.post('/auth/token').set('Origin', origin).type('form').send({ grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: `${APP}/index.html`, code_verifier: 'x'.repeat(43), client_id: client });

  it('answers preflights', async () => {
    const res = await t.http.options('/auth/token').set('Origin', APP).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  it('lets a public client in from the origin of its redirect_uris', async () => {
    const res = await exchange(APP);
    expect(res.body.error).toBe('invalid_grant'); // the request got through to the code check
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  it('refuses a public client from another origin, and a confidential client from any', async () => {
    const other = await exchange(OTHER);
    expect(other.status).toBe(400);
    expect(other.body.error_description).toMatch(/origin .* not allowed/);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const confidential = await t.http.post('/auth/token').set('Origin', APP).auth('backend', SECRET).type('form').send({ grant_type: 'client_credentials', scope: 'system/Patient.rs' });
    expect(confidential.status).toBe(400);
    expect(confidential.body.error_description).toMatch(/origin .* not allowed/);
    expect(confidential.headers['access-control-allow-origin']).toBeUndefined();
  });
});
