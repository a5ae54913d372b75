// SMART Backend Services against the real authorization server (oidc-provider mounted at /auth) and
// the FHIR API under AUTH_MODE=smart: discovery, client_credentials with private_key_jwt (RS384 and
// ES384), the assertion rules (replay, exp, jku), introspection and revocation, 401 and 403.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { testServer, type TestServer } from './harness.js';

const FHIR = 'http://localhost/fhir';
const ISSUER = 'http://localhost/auth';

let t: TestServer;
let rsKey: CryptoKey;
let esKey: CryptoKey;
let patientId: string;
let observationId: string;

/** A signed client assertion (RFC 7523) as SMART Backend Services asks for. */
async function assertion(clientId: string, key: CryptoKey, alg: string, opts: { jti?: string; expIn?: number; jku?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, kid: `${clientId}-key`, typ: 'JWT', ...(opts.jku ? { jku: opts.jku } : {}) })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(ISSUER)
    .setJti(opts.jti ?? randomUUID())
    .setExpirationTime(now + (opts.expIn ?? 240))
    .sign(key);
}

async function tokenRequest(clientAssertion: string, scope: string) {
  return t.http
    .post('/auth/token')
    .type('form')
    .send({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    });
}

async function token(scope: string, clientId = 'backend-rs', key = rsKey, alg = 'RS384'): Promise<string> {
  const res = await tokenRequest(await assertion(clientId, key, alg), scope);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token;
}

beforeAll(async () => {
  const rs = await generateKeyPair('RS384', { extractable: true });
  const es = await generateKeyPair('ES384', { extractable: true });
  rsKey = rs.privateKey;
  esKey = es.privateKey;
  const clients = [
    {
      client_id: 'backend-rs',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS384',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      jwks: { keys: [{ ...(await exportJWK(rs.publicKey)), kid: 'backend-rs-key', alg: 'RS384', use: 'sig' }] },
    },
    {
      client_id: 'backend-es',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      jwks: { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'backend-es-key', alg: 'ES384', use: 'sig' }] },
    },
    // a resource server that may introspect
    { client_id: 'introspector', client_secret: 'introspector-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', grant_types: [], response_types: [], redirect_uris: [] },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-auth-'));
  const file = path.join(dir, 'clients.json');
  fs.writeFileSync(file, JSON.stringify(clients));
  t = await testServer({ authMode: 'smart', authClientsFile: file });
  const repo = t.server.app.repo;
  patientId = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Okafor', given: ['Ada'] }] })).resource.id!;
  observationId = (
    await repo.create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: `Patient/${patientId}` },
    })
  ).resource.id!;
});

afterAll(() => t?.close());

describe('discovery', () => {
  it('serves .well-known/smart-configuration without a token, to any origin, naming the real endpoints', async () => {
    const res = await t.http.get('/fhir/.well-known/smart-configuration');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const oidc = (await t.http.get('/auth/.well-known/openid-configuration')).body;
    expect(oidc.issuer).toBe(ISSUER);
    // the provider writes its endpoints for the host it was asked on; ours are under the issuer
    for (const endpoint of ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(res.body[endpoint], endpoint).toBe(ISSUER + new URL(oidc[endpoint]).pathname.slice('/auth'.length));
    }
    expect(res.body).toMatchObject({ issuer: ISSUER, code_challenge_methods_supported: ['S256'], grant_types_supported: expect.arrayContaining(['client_credentials']) });
    expect(res.body.capabilities).toContain('client-confidential-asymmetric');
    expect(oidc.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
  });

  it('keeps /metadata public, declaring SMART security with the OAuth endpoints', async () => {
    const res = await t.http.get('/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const security = res.body.rest[0].security;
    expect(security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    const uris = Object.fromEntries(security.extension[0].extension.map((e: { url: string; valueUri: string }) => [e.url, e.valueUri]));
    expect(uris.token).toBe(`${ISSUER}/token`);
    expect(res.body.rest[0].documentation).not.toContain('AUTH_MODE=open');
  });
});

describe('backend services token', () => {
  it('issues an opaque token for a private_key_jwt RS384 assertion, with expires_in and the granted scope', async () => {
    const res = await tokenRequest(await assertion('backend-rs', rsKey, 'RS384'), 'system/Observation.rs system/Patient.r');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'system/Observation.rs system/Patient.r' });
    expect(res.body.expires_in).toBeGreaterThan(0);
    expect(res.body.access_token).not.toContain('.'); // opaque, not a JWT
  });

  it('issues a token for an ES384 assertion', async () => {
    expect(await token('system/Observation.rs', 'backend-es', esKey, 'ES384')).toBeTruthy();
  });

  it('refuses a replayed assertion, and a new assertion reusing a jti', async () => {
    const signed = await assertion('backend-rs', rsKey, 'RS384');
    expect((await tokenRequest(signed, 'system/Observation.rs')).status).toBe(200);
    const replay = await tokenRequest(signed, 'system/Observation.rs');
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
    const jti = randomUUID();
    expect((await tokenRequest(await assertion('backend-rs', rsKey, 'RS384', { jti }), 'system/Observation.rs')).status).toBe(200);
    expect((await tokenRequest(await assertion('backend-rs', rsKey, 'RS384', { jti }), 'system/Observation.rs')).status).toBe(401);
  });

  it('refuses an assertion that expires more than five minutes ahead, or names a jku that is not registered', async () => {
    expect((await tokenRequest(await assertion('backend-rs', rsKey, 'RS384', { expIn: 600 }), 'system/Observation.rs')).status).toBe(401);
    const jku = await tokenRequest(await assertion('backend-rs', rsKey, 'RS384', { jku: 'https://attacker.example/jwks.json' }), 'system/Observation.rs');
    expect(jku.status).toBe(401);
  });

  it('refuses an assertion signed with another key', async () => {
    const other = (await generateKeyPair('RS384')).privateKey;
    expect((await tokenRequest(await assertion('backend-rs', other, 'RS384'), 'system/Observation.rs')).status).toBe(401);
  });
});

describe('the FHIR API with AUTH_MODE=smart', () => {
  it('answers 401 with WWW-Authenticate and an OperationOutcome without a token, or with a bad one', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer not-a-real-token']) {
      const req = t.http.get(`/fhir/Observation/${observationId}`);
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      expect(res.status, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="http:\/\/localhost\/fhir"/);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect((await t.http.get('/fhir/Observation').set('Authorization', 'Bearer not-a-real-token')).headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('lets a system/Observation.rs token read and search Observations, and nothing else', async () => {
    const bearer = `Bearer ${await token('system/Observation.rs')}`;
    expect((await t.http.get(`/fhir/Observation/${observationId}`).set('Authorization', bearer)).status).toBe(200);
    const found = await t.http.get(`/fhir/Observation?subject=Patient/${patientId}`).set('Authorization', bearer);
    expect(found.status).toBe(200);
    expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([observationId]);

    const denied = [
      t.http.get(`/fhir/Patient/${patientId}`),
      t.http.get('/fhir/Patient?name=okafor'),
      t.http.post('/fhir/Observation').send({ resourceType: 'Observation', status: 'final', code: { text: 'x' } }),
      t.http.put(`/fhir/Observation/${observationId}`).send({ resourceType: 'Observation', id: observationId, status: 'final', code: { text: 'x' } }),
      t.http.delete(`/fhir/Observation/${observationId}`),
      t.http.get('/fhir/Observation?subject:Patient.name=okafor'), // a chain looks into Patient
      t.http.get(`/fhir/Patient?_has:Observation:subject:code=8867-4`),
      t.http.get('/fhir/$export').set('Prefer', 'respond-async'),
    ];
    for (const [i, req] of denied.entries()) {
      const res = await req.set('Authorization', bearer);
      expect(res.status, `denied request #${i}`).toBe(403);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.headers['www-authenticate']).toContain('insufficient_scope');
    }
    // the write was refused before anything was written
    expect((await t.http.get(`/fhir/Observation/${observationId}`).set('Authorization', bearer)).body.meta.versionId).toBe('1');
  });

  it('checks each transaction entry as its own interaction: one entry it may not do refuses the whole, and writes nothing', async () => {
    const bearer = `Bearer ${await token('system/Observation.crus system/Patient.rs')}`;
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: 'urn:uuid:0b5e8ab0-4a3c-4f3e-9d41-5a1c2e7d9f01' } };
    const entries = [
      { fullUrl: 'urn:uuid:0b5e8ab0-4a3c-4f3e-9d41-5a1c2e7d9f01', resource: { resourceType: 'Patient', name: [{ family: 'Nwosu' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: observation, request: { method: 'POST', url: 'Observation' } },
    ];
    const refused = await t.http.post('/fhir').set('Authorization', bearer).send({ resourceType: 'Bundle', type: 'transaction', entry: entries });
    expect(refused.status).toBe(403);
    expect(refused.body.issue[0].diagnostics ?? refused.body.issue[0].details?.text).toContain('Bundle.entry[0]');
    expect((await t.http.get('/fhir/Patient?family=nwosu').set('Authorization', bearer)).body.total).toBe(0);

    const batch = await t.http
      .post('/fhir')
      .set('Authorization', bearer)
      .send({ resourceType: 'Bundle', type: 'batch', entry: [entries[0], { resource: { ...observation, subject: undefined }, request: { method: 'POST', url: 'Observation' } }, { request: { method: 'DELETE', url: `Observation/${observationId}` } }] });
    expect(batch.status).toBe(200);
    expect(batch.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['403', '201 Created', '403']);
  });

  it('needs search on the type a conditional reference in a transaction looks up', async () => {
    const entry = (subject: string) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: subject } }, request: { method: 'POST', url: 'Observation' } }],
    });
    const observationsOnly = `Bearer ${await token('system/Observation.crus')}`;
    const refused = await t.http.post('/fhir').set('Authorization', observationsOnly).send(entry('Patient?family=okafor'));
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain('search on Patient');
    const withPatients = `Bearer ${await token('system/Observation.crus system/Patient.s')}`;
    const done = await t.http.post('/fhir').set('Authorization', withPatients).send(entry('Patient?family=okafor'));
    expect(done.status).toBe(200);
  });

  it('does not follow _include:iterate through a type the token may not read', async () => {
    const repo = t.server.app.repo;
    const doctor = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Adeyemi' }] })).resource.id!;
    const patient = (await repo.create({ resourceType: 'Patient', generalPractitioner: [{ reference: `Practitioner/${doctor}` }] })).resource.id!;
    const obs = (await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: `Patient/${patient}` } })).resource.id!;
    const query = `/fhir/Observation?_id=${obs}&_include=Observation:subject&_include:iterate=Patient:general-practitioner`;
    const types = async (scope: string) =>
      ((await t.http.get(query).set('Authorization', `Bearer ${await token(scope)}`)).body.entry as { resource: { resourceType: string } }[]).map((e) => e.resource.resourceType);
    expect(await types('system/Observation.rs system/Patient.r system/Practitioner.r')).toEqual(['Observation', 'Patient', 'Practitioner']);
    expect(await types('system/Observation.rs system/Practitioner.r')).toEqual(['Observation']);
  });

  it('leaves out _include results of types the token may not read', async () => {
    const query = `/fhir/Observation?_id=${observationId}&_include=Observation:subject`;
    const without = await t.http.get(query).set('Authorization', `Bearer ${await token('system/Observation.rs')}`);
    expect(without.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual(['Observation']);
    const withPatient = await t.http.get(query).set('Authorization', `Bearer ${await token('system/Observation.rs system/Patient.r')}`);
    expect(withPatient.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual(['Observation', 'Patient']);
  });

  it('runs $export of the types a token may read, whose manifest requires the token for its files; another client cannot see the job', async () => {
    const bearer = `Bearer ${await token('system/Observation.rs')}`;
    expect((await t.http.get('/fhir/$export?_type=Observation,Patient').set('Authorization', bearer).set('Prefer', 'respond-async')).status).toBe(403);
    const kickoff = await t.http.get('/fhir/$export?_type=Observation').set('Authorization', bearer).set('Prefer', 'respond-async');
    expect(kickoff.status).toBe(202);
    const status = new URL(kickoff.headers['content-location']).pathname;
    expect((await t.http.get(status)).status).toBe(401);
    let manifest = await t.http.get(status).set('Authorization', bearer);
    for (let i = 0; manifest.status === 202 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      manifest = await t.http.get(status).set('Authorization', bearer);
    }
    expect(manifest.status).toBe(200);
    const stranger = `Bearer ${await token('system/*.rs', 'backend-es', esKey, 'ES384')}`;
    expect((await t.http.get(status).set('Authorization', stranger)).status).toBe(404);
    expect((await t.http.delete(status).set('Authorization', stranger)).status).toBe(404);
    const body = JSON.parse(manifest.text);
    expect(body.requiresAccessToken).toBe(true);
    const file = new URL(body.output[0].url).pathname;
    expect((await t.http.get(file)).status).toBe(401);
    expect((await t.http.get(file).set('Authorization', stranger)).status).toBe(404);
    const ndjson = await t.http.get(file).set('Authorization', bearer);
    expect(ndjson.status).toBe(200);
    expect(ndjson.text).toContain(observationId);
  });

  it('refuses, at the token endpoint, anything but system/ scopes for a backend client', async () => {
    for (const scope of ['patient/Observation.rs', 'user/*.cruds', 'system/Observation.xyz', 'system/Observation.rs openid']) {
      const res = await tokenRequest(await assertion('backend-rs', rsKey, 'RS384'), scope);
      expect(res.status, scope).toBe(400);
      expect(res.body.error, scope).toBe('invalid_scope');
    }
  });

  it('introspects a token as active with its scope and audience, and after revocation as inactive and refused', async () => {
    const access = await token('system/Observation.rs');
    const basic = 'Basic ' + Buffer.from('introspector:introspector-secret-0123456789').toString('base64');
    const active = await t.http.post('/auth/token/introspection').set('Authorization', basic).type('form').send({ token: access });
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, client_id: 'backend-rs', scope: 'system/Observation.rs', aud: FHIR });

    // another client cannot revoke it (RFC 7009: only the client it was issued to)
    await t.http.post('/auth/token/revocation').set('Authorization', basic).type('form').send({ token: access });
    expect((await t.http.post('/auth/token/introspection').set('Authorization', basic).type('form').send({ token: access })).body.active).toBe(true);

    const revoked = await tokenRequestRevoke(access);
    expect(revoked.status).toBe(200);
    const inactive = await t.http.post('/auth/token/introspection').set('Authorization', basic).type('form').send({ token: access });
    expect(inactive.body).toEqual({ active: false });
    expect((await t.http.get(`/fhir/Observation/${observationId}`).set('Authorization', `Bearer ${access}`)).status).toBe(401);
  });
});

describe('authorization state in the database', () => {
  it('is shared by every server on the database: a token from one works on another, a jti used on one is refused by another', async () => {
    const config = { ...t.server.app.config };
    const other = await startServer(config, createLogger('silent'), t.db.db);
    try {
      const otherHttp = request(other.http);
      const access = await token('system/Observation.rs');
      expect((await otherHttp.get(`/fhir/Observation/${observationId}`).set('Authorization', `Bearer ${access}`)).status).toBe(200);
      const signed = await assertion('backend-rs', rsKey, 'RS384');
      expect((await tokenRequest(signed, 'system/Observation.rs')).status).toBe(200);
      const replay = await otherHttp
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'system/Observation.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: signed });
      expect(replay.status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('refuses an expired access token with 401 invalid_token', async () => {
    // a server on the same database whose tokens live one second
    const shortLived = await startServer({ ...t.server.app.config, accessTokenTtl: 1 }, createLogger('silent'), t.db.db);
    try {
      const http1 = request(shortLived.http);
      const res = await http1
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'system/Observation.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion('backend-rs', rsKey, 'RS384') });
      expect([res.status, res.body.expires_in]).toEqual([200, 1]);
      const read = () => http1.get(`/fhir/Observation/${observationId}`).set('Authorization', `Bearer ${res.body.access_token}`);
      expect((await read()).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const expired = await read();
      expect([expired.status, expired.body.resourceType]).toEqual([401, 'OperationOutcome']);
      expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    } finally {
      await shortLived.close();
    }
  });
});

describe('a backend client whose keys are at its jwks_uri', () => {
  it('gets tokens when the jwks_uri may be fetched, with or without a matching jku; a private address is refused by default', async () => {
    const keys = await generateKeyPair('RS384', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'feed-key', alg: 'RS384', use: 'sig' }] };
    const keyServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks)));
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/jwks.json`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-auth-')), 'clients.json');
    fs.writeFileSync(file, JSON.stringify([{ client_id: 'feed', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], jwks_uri: jwksUri }]));
    const signed = (jku?: string) => assertion('feed', keys.privateKey, 'RS384', { jku });
    const ask = (server: TestServer, clientAssertion: string) =>
      server.http.post('/auth/token').type('form').send({
        grant_type: 'client_credentials', scope: 'system/Device.rs',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion,
      });
    const allowed = await testServer({ authMode: 'smart', authClientsFile: file, allowPrivateJwksUri: true });
    const guarded = await testServer({ authMode: 'smart', authClientsFile: file });
    try {
      expect((await ask(allowed, await signed())).status).toBe(200);
      expect((await ask(allowed, await signed(jwksUri))).status).toBe(200);
      expect((await ask(allowed, await signed('http://127.0.0.1:9/other.json'))).status).toBe(401);
      expect((await ask(guarded, await signed())).status).toBe(401);
    } finally {
      await allowed.close();
      await guarded.close();
      keyServer.close();
    }
  });
});

describe('dynamic client registration (AUTH_DYNAMIC_REGISTRATION=true)', () => {
  it('is off by default: no registration endpoint, none in discovery', async () => {
    expect((await t.http.get('/fhir/.well-known/smart-configuration')).body.registration_endpoint).toBeUndefined();
    expect((await t.http.post('/auth/reg').send({ redirect_uris: [] })).status).toBe(404);
  });

  it('registers a backend client (RFC 7591) that then gets tokens, also from another server on the database', async () => {
    const on = await testServer({ authMode: 'smart', dynamicRegistration: true });
    try {
      const discovery = (await on.http.get('/fhir/.well-known/smart-configuration')).body;
      expect(discovery.registration_endpoint).toBe(`${ISSUER}/reg`);
      const keys = await generateKeyPair('ES384', { extractable: true });
      const registered = await on.http.post('/auth/reg').send({
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'dyn-key', alg: 'ES384', use: 'sig' }] },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      const clientId = registered.body.client_id as string;
      const bad = await on.http.post('/auth/reg').send({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' });
      expect(bad.status).toBe(400); // private_key_jwt without keys

      const other = await startServer({ ...on.server.app.config }, createLogger('silent'), on.db.db);
      try {
        const now = Math.floor(Date.now() / 1000);
        const signed = await new SignJWT({})
          .setProtectedHeader({ alg: 'ES384', kid: 'dyn-key' })
          .setIssuer(clientId).setSubject(clientId).setAudience(ISSUER).setJti(randomUUID()).setExpirationTime(now + 60)
          .sign(keys.privateKey);
        const res = await request(other.http).post('/auth/token').type('form').send({
          grant_type: 'client_credentials',
          scope: 'system/Patient.rs',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: signed,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.scope).toBe('system/Patient.rs');
      } finally {
        await other.close();
      }
    } finally {
      await on.close();
    }
  });
});

async function tokenRequestRevoke(access: string) {
  return t.http
    .post('/auth/token/revocation')
    .type('form')
    .send({
      token: access,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion('backend-rs', rsKey, 'RS384'),
    });
}
