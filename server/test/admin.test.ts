// The admin API: clients and accounts, for admins only. A client made here gets tokens at once and
// is locked out at once when removed; secrets and password hashes are never shown.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';
import { userToken } from './smart-flow.js';

let t: TestServer;
let admin = '';
let doctor = '';
const adminUser = { username: 'root.admin', password: 'admin-password-1' };
const doctorUser = { username: 'dr.admin-test', password: 'doctor-password-1' };

async function token(user: typeof adminUser, scope: string): Promise<string> {
  return (await userToken(t, 'app', user, scope)).access_token;
}

const as = (bearer: string) => ({
  get: (url: string) => t.http.get(url).auth(bearer, { type: 'bearer' }),
  post: (url: string, body: object) => t.http.post(url).auth(bearer, { type: 'bearer' }).set('Content-Type', 'application/json').send(JSON.stringify(body)),
  delete: (url: string) => t.http.delete(url).auth(bearer, { type: 'bearer' }),
});

const clientCredentials = (id: string, secret: string) =>
  t.http.post('/auth/token').auth(id, secret).type('form').send({ grant_type: 'client_credentials', scope: 'system/Patient.rs system/Subscription.cruds' });

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-admin-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify([{ client_id: 'app', token_endpoint_auth_method: 'none', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code'], response_types: ['code'] }]));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json') });
  await t.server.app.auth.accounts.create({ ...adminUser, role: 'admin' });
  await t.server.app.auth.accounts.create({ ...doctorUser, role: 'doctor' });
  admin = await token(adminUser, 'user/Patient.rs');
  doctor = await token(doctorUser, 'user/Patient.rs');
});

afterAll(() => t?.close());

describe('who may use it', () => {
  it('needs a token (401) of an admin (403 for anyone else)', async () => {
    const none = await t.http.get('/admin/clients');
    expect([none.status, none.body.resourceType]).toEqual([401, 'OperationOutcome']);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const notAdmin = await as(doctor).get('/admin/accounts');
    expect([notAdmin.status, notAdmin.body.issue[0].diagnostics]).toEqual([403, expect.stringMatching(/admin role/)]);
  });
});

describe('clients', () => {
  it('registers a backend client, shows its secret once, gives it tokens, and locks it out when removed', async () => {
    const created = await as(admin).post('/admin/clients', { client_id: 'lab-feed', client_name: 'Lab feed', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.location).toBe('/admin/clients/lab-feed');
    const secret = created.body.client_secret as string;
    expect(secret.length).toBeGreaterThan(30);
    const listed = (await as(admin).get('/admin/clients').expect(200)).body as { client_id: string; source: string; client_secret?: string }[];
    expect(listed.map((c) => `${c.client_id} ${c.source}`)).toEqual(expect.arrayContaining(['app config', 'lab-feed admin']));
    expect(listed.every((c) => c.client_secret === undefined)).toBe(true);
    expect((await as(admin).get('/admin/clients/lab-feed').expect(200)).body.client_secret).toBeUndefined();

    const issued = await clientCredentials('lab-feed', secret);
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const feedToken = issued.body.access_token;
    expect((await as(feedToken).get('/fhir/Patient')).status).toBe(200);
    const subscription = await t.http.post('/fhir/Subscription').auth(feedToken, { type: 'bearer' }).send({ resourceType: 'Subscription', status: 'requested', reason: 'feed', criteria: 'Patient', channel: { type: 'websocket' } });
    expect(subscription.status).toBe(201);

    expect((await as(admin).delete('/admin/clients/lab-feed')).status).toBe(204);
    // what the removed client subscribed to is turned off
    const { repo } = t.server.app;
    const off = (await repo.read('Subscription', subscription.body.id)) as { status: string; error?: string };
    expect(off).toMatchObject({ status: 'off', error: 'Its owner, client lab-feed, was removed' });
    expect((await clientCredentials('lab-feed', secret)).status).toBe(401);
    expect((await as(feedToken).get('/fhir/Patient')).status).toBe(401);
    expect((await as(admin).delete('/admin/clients/lab-feed')).status).toBe(404);
    expect((await as(admin).get('/admin/clients/lab-feed')).status).toBe(404);
  });

  it('refuses duplicates, bad ids, invalid metadata, and removing a client of the config file', async () => {
    const dup = await as(admin).post('/admin/clients', { client_id: 'app', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
    expect(dup.status).toBe(409);
    expect((await as(admin).post('/admin/clients', { client_id: 'has space', grant_types: ['client_credentials'] })).status).toBe(400);
    const invalid = await as(admin).post('/admin/clients', { client_id: 'web-app', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['not a url'] });
    expect([invalid.status, invalid.body.resourceType]).toEqual([400, 'OperationOutcome']);
    expect(invalid.body.issue[0].diagnostics).toMatch(/not valid/);
    expect((await t.http.post('/admin/clients').auth(admin, { type: 'bearer' }).set('Content-Type', 'application/json').send('{not json')).status).toBe(400);
    expect((await as(admin).delete('/admin/clients/app')).status).toBe(409);
  });
});

describe('accounts', () => {
  it('creates, lists (without hashes) and removes accounts; refuses bad ones', async () => {
    const created = await as(admin).post('/admin/accounts', { username: 'nurse.new', password: 'nurse-password-1', role: 'nurse', displayName: 'New Nurse' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ username: 'nurse.new', role: 'nurse', displayName: 'New Nurse', totp: false });
    expect(JSON.stringify(created.body)).not.toMatch(/password|scrypt/);
    const list = (await as(admin).get('/admin/accounts').expect(200)).body as { username: string }[];
    expect(list.map((a) => a.username)).toEqual(expect.arrayContaining(['nurse.new', 'root.admin', 'dr.admin-test']));
    expect(JSON.stringify(list)).not.toMatch(/scrypt/);
    expect((await as(admin).post('/admin/accounts', { username: 'nurse.new', password: 'another-password', role: 'nurse' })).status).toBe(409);
    expect((await as(admin).post('/admin/accounts', { username: 'x', password: 'long-enough-pw', role: 'wizard' })).body.issue[0].diagnostics).toMatch(/Unknown role/);
    expect((await as(admin).post('/admin/accounts', { username: 'y', password: 'short', role: 'nurse' })).status).toBe(400);
    expect((await as(admin).post('/admin/accounts', { username: 'z', password: 'long-enough-pw', role: 'patient' })).body.issue[0].diagnostics).toMatch(/fhirUser/);
    expect((await as(admin).post('/admin/accounts', { password: 'long-enough-pw', role: 'nurse' })).status).toBe(400);
    expect((await as(admin).delete(`/admin/accounts/${created.body.id}`)).status).toBe(204);
    expect((await as(admin).delete(`/admin/accounts/${created.body.id}`)).status).toBe(404);
    expect(await t.server.app.auth.accounts.findByUsername('nurse.new')).toBeUndefined();
  });
});
