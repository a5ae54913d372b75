// Interoperability: a CDS client written from the CDS Hooks 2.0 specification alone (fetch and jose;
// not Meridian's client module) against a Meridian listening on a real port. It publishes its own
// public key at a jku URL, signs each request with ES384 ("Trusting CDS Clients"), discovers the
// services, sends a patient-view request with prefetch it rendered itself, then one without prefetch
// (Meridian fetches from its own FHIR API with the fhirAuthorization token), then feedback.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, testServer, type TestServer } from './harness.js';

const ISS = 'https://spec-client.example';

let t: TestServer;
let root: string; // the CDS server's origin
let fhirBase: string;
let jwksServer: http.Server;
let jku: string;
let privateKey: CryptoKey;
let patient: string;
let accessToken: string;

// ---- the client, from the specification -------------------------------------------------------

/** "Trusting CDS Clients": iss, aud (the service endpoint), exp (<= 5 min), iat, jti; kid and jku in the header. */
async function signedJwt(audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: 'spec-client-1', jku })
    .setIssuer(ISS)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(privateKey);
}

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await signedJwt(url)}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** "Prefetch tokens": {{context.x}} and {{userPractitionerId}}-style tokens. */
function render(template: string, context: Record<string, string>): string {
  return template.replace(/\{\{(.+?)\}\}/g, (_, token: string) => {
    const t = token.trim();
    if (t.startsWith('context.')) return context[t.slice(8)];
    const [type, id] = context.userId.split('/');
    return t === `user${type}Id` ? id : '';
  });
}

async function fhirGet(query: string): Promise<unknown> {
  const res = await fetch(`${fhirBase}/${query}`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/fhir+json' } });
  return res.status === 404 ? null : res.json();
}

// -------------------------------------------------------------------------------------------------

beforeAll(async () => {
  const pair = await generateKeyPair('ES384', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'spec-client-1', alg: 'ES384', use: 'sig' };
  jwksServer = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jku = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-cds-interop-'));
  const cdsClients = path.join(dir, 'cds-clients.json');
  fs.writeFileSync(cdsClients, JSON.stringify({ clients: [{ iss: ISS, jku: [jku] }, { iss: `${ISS}/by-jwks-uri`, jwks_uri: jku }] }));
  const authClients = path.join(dir, 'clients.json');
  fs.writeFileSync(authClients, JSON.stringify([{ client_id: 'ehr', client_secret: 'ehr-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }]));
  const port = await freePort();
  root = `http://127.0.0.1:${port}`;
  fhirBase = `${root}/fhir`;
  // the jku is on this machine: allowed here, as AUTH_ALLOW_PRIVATE_JWKS_URI says
  t = await testServer({ port, baseUrl: fhirBase, authMode: 'smart', authClientsFile: authClients, cdsClientsFile: cdsClients, cdsAuth: 'jwt', allowPrivateJwksUri: true });
  const repo = t.server.app.repo;
  patient = (await repo.create({ resourceType: 'Patient', birthDate: '1960-03-01', gender: 'female', name: [{ family: 'Interop' }] })).resource.id!;
  await repo.create({
    resourceType: 'Condition',
    subject: { reference: `Patient/${patient}` },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '73211009', display: 'Diabetes mellitus' }] },
  } as never);
  const tokenRes = await fetch(`${root}/auth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('ehr:ehr-secret-0123456789').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Patient.rs system/Condition.rs system/Observation.rs system/Immunization.rs system/MedicationRequest.rs' }),
  });
  expect(tokenRes.status).toBe(200);
  accessToken = ((await tokenRes.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe('a CDS client written from the specification', () => {
  let service: { id: string; hook: string; prefetch?: Record<string, string> };

  it('discovers the services', async () => {
    const res = await fetch(`${root}/cds-services`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: (typeof service & { title?: string; description: string })[] };
    for (const s of body.services) {
      expect(typeof s.id).toBe('string');
      expect(typeof s.hook).toBe('string');
      expect(typeof s.description).toBe('string');
    }
    service = body.services.find((s) => s.hook === 'patient-view')!;
    expect(service, 'a patient-view service is offered').toBeTruthy();
  });

  it('calls it with prefetch it rendered and fetched itself, signed with its key at the jku', async () => {
    const context = { userId: 'Practitioner/example', patientId: patient };
    const prefetch: Record<string, unknown> = {};
    for (const [key, template] of Object.entries(service.prefetch ?? {})) prefetch[key] = await fhirGet(render(template, context));
    const res = await post(`${root}/cds-services/${service.id}`, { hook: 'patient-view', hookInstance: randomUUID(), context, prefetch });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Array.isArray(res.body.cards)).toBe(true);
    expect(res.body.cards.length).toBeGreaterThan(0); // a diabetic without an HbA1c on record
    for (const card of res.body.cards) {
      expect(card.uuid).toEqual(expect.any(String));
      expect(card.summary.length).toBeLessThanOrEqual(140);
      expect(['info', 'warning', 'critical']).toContain(card.indicator);
      expect(card.source.label).toEqual(expect.any(String));
    }
  });

  it('calls it without prefetch: the service fetches from fhirServer with the fhirAuthorization it was given', async () => {
    const hookInstance = randomUUID();
    const res = await post(`${root}/cds-services/${service.id}`, {
      hook: 'patient-view',
      hookInstance,
      fhirServer: fhirBase,
      fhirAuthorization: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: 'system/Patient.rs system/Condition.rs', subject: 'ehr' },
      context: { userId: 'Practitioner/example', patientId: patient },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
    const summaries = res.body.cards.map((c: { summary: string }) => c.summary).join(' | ');
    expect(summaries).toMatch(/HbA1c/);

    // and sends feedback on the first card
    const fb = await post(`${root}/cds-services/${service.id}/feedback`, {
      feedback: [{ card: res.body.cards[0].uuid, outcome: 'overridden', overrideReason: { userComment: 'done at another clinic' }, outcomeTimestamp: new Date().toISOString() }],
    });
    expect(fb.status).toBe(200);
  });

  it('a client registered with a jwks_uri signs without a jku header', async () => {
    const url = `${root}/cds-services/${service.id}`;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'spec-client-1' })
      .setIssuer(`${ISS}/by-jwks-uri`)
      .setAudience(url)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(privateKey);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/x', patientId: patient }, prefetch: Object.fromEntries(Object.keys(service.prefetch ?? {}).map((k) => [k, null])) }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('is refused with a JWT the server cannot trust (a jku it did not register)', async () => {
    const url = `${root}/cds-services/${service.id}`;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'spec-client-1', jku: 'https://elsewhere.example/jwks.json' })
      .setIssuer(ISS)
      .setAudience(url)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(privateKey);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` }, body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/x', patientId: patient } }) });
    expect(res.status).toBe(401);
  });
});
