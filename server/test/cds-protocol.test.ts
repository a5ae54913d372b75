// CDS Hooks 2.0 protocol over HTTP: discovery, request validation (400s), prefetch supplied and
// fetched from Meridian with the request's fhirAuthorization token (scopes apply), template tokens,
// client JWTs (401s), open mode, feedback, the AuditEvent of each decision. A test-only service
// stands in for the real ones (which have tests of their own).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { renderTemplate } from '../src/cds/index.js';
import type { CdsInput, CdsService } from '../src/cds/index.js';
import { testServer, type TestServer } from './harness.js';
import { REDIRECT, userToken } from './smart-flow.js';

const ISS = 'https://ehr.example/cds-client';
const ORIGIN = 'http://localhost';
const FHIR = 'http://localhost/fhir';

let t: TestServer;
let cds: ReturnType<typeof request>;
let open: ReturnType<typeof request>;
let key: CryptoKey;
let rsKey: CryptoKey;
let patient: string;
let practitioner: string;
let fullToken: string;
let patientOnlyToken: string;
const inputs: CdsInput[] = [];

const allergyService: CdsService = {
  id: 'test-allergies',
  hook: 'patient-view',
  title: 'Test allergies',
  description: 'Warns when the patient has any AllergyIntolerance (test only).',
  prefetch: {
    patient: 'Patient/{{context.patientId}}',
    allergies: 'AllergyIntolerance?patient={{context.patientId}}',
    user: 'Practitioner/{{userPractitionerId}}',
  },
  usageRequirements: 'Needs patient/AllergyIntolerance.rs',
  async run(input) {
    inputs.push(input);
    const allergies = ((input.prefetch.allergies as Bundle | null)?.entry ?? []).map((e) => e.resource!);
    if (!allergies.length) return { cards: [], fired: [] };
    return {
      cards: [{ summary: `${allergies.length} allergy on record`, indicator: 'warning', source: { label: 'Test rules' }, suggestions: [{ label: 'Review' }] }],
      fired: [{ rule: 'test/allergy-present', version: '2026.1', why: `AllergyIntolerance/${allergies[0].id} is on record` }],
    };
  },
};

const brokenService: CdsService = {
  id: 'test-broken',
  hook: 'patient-view',
  title: 'Broken',
  description: 'Throws (test only).',
  async run() {
    throw new Error('boom with Patient data');
  },
};

const longService: CdsService = {
  id: 'test-long',
  hook: 'order-sign',
  title: 'Too long',
  description: 'A card whose summary is too long (test only).',
  async run() {
    return { cards: [{ summary: 'x'.repeat(200), indicator: 'info', source: { label: 'x' } }], fired: [] };
  },
};

async function jwt(opts: { aud?: string; iss?: string; expIn?: number; jti?: string; alg?: string; signWith?: CryptoKey; kid?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: opts.alg ?? 'ES384', kid: opts.kid ?? 'ehr-key', typ: 'JWT' })
    .setIssuer(opts.iss ?? ISS)
    .setAudience(opts.aud ?? `${ORIGIN}/cds-services/test-allergies`)
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expIn ?? 120))
    .setJti(opts.jti ?? randomUUID())
    .sign(opts.signWith ?? key);
}

function hookRequest(extra: Record<string, unknown> = {}) {
  return {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    context: { userId: `Practitioner/${practitioner}`, patientId: patient },
    ...extra,
  };
}

async function backendToken(id: string, scope: string): Promise<string> {
  const res = await t.http.post('/auth/token').auth(id, `${id}-secret-0123456789`).type('form').send({ grant_type: 'client_credentials', scope });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token;
}

beforeAll(async () => {
  const es = await generateKeyPair('ES384', { extractable: true });
  key = es.privateKey;
  rsKey = (await generateKeyPair('RS384', { extractable: true })).privateKey;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-cds-'));
  const cdsClients = path.join(dir, 'cds-clients.json');
  fs.writeFileSync(cdsClients, JSON.stringify([{ iss: ISS, jwks: { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'ehr-key', alg: 'ES384', use: 'sig' }] } }]));
  const backend = (id: string) => ({ client_id: id, client_secret: `${id}-secret-0123456789`, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
  const authClients = path.join(dir, 'clients.json');
  const browserApp = { client_id: 'cds-browser-app', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] };
  fs.writeFileSync(authClients, JSON.stringify([backend('cds-full'), backend('cds-narrow'), backend('auditor'), browserApp]));
  t = await testServer({ authMode: 'smart', authClientsFile: authClients, cdsClientsFile: cdsClients, cdsAuth: 'jwt' });
  const app = t.server.app;
  cds = request(createApp(app, [allergyService, brokenService, longService]).callback());
  open = request(createApp({ ...app, config: { ...app.config, cdsAuth: 'open' } }, [allergyService, brokenService, longService]).callback());
  const repo = app.repo;
  patient = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Cds', given: ['Ada'] }] })).resource.id!;
  practitioner = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'House' }] })).resource.id!;
  await repo.create({
    resourceType: 'AllergyIntolerance',
    patient: { reference: `Patient/${patient}` },
    code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'penicillin G' }] },
  } as Resource);
  fullToken = await backendToken('cds-full', 'system/Patient.rs system/AllergyIntolerance.rs system/Practitioner.rs');
  patientOnlyToken = await backendToken('cds-narrow', 'system/Patient.rs system/Practitioner.rs');
});

afterAll(() => t?.close());

const auth = async (opts: Parameters<typeof jwt>[0] = {}) => `Bearer ${await jwt(opts)}`;

describe('discovery', () => {
  it('lists each service with its description fields only, as JSON, to any origin', async () => {
    const res = await cds.get('/cds-services').set('Origin', 'https://app.example');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body.services).toHaveLength(3);
    expect(res.body.services[0]).toEqual({
      id: 'test-allergies',
      hook: 'patient-view',
      title: 'Test allergies',
      description: allergyService.description,
      prefetch: allergyService.prefetch,
      usageRequirements: 'Needs patient/AllergyIntolerance.rs',
    });
    expect(res.body.services[1]).not.toHaveProperty('run');
  });

  it('the real app mounts discovery at the root (SERVICES, whatever is registered) and answers preflights', async () => {
    const res = await t.http.get('/cds-services');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.services)).toBe(true);
    const pre = await t.http.options('/cds-services/x').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'POST');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/);
  });

  it('unknown service 404, wrong method 405, as JSON errors', async () => {
    const res = await cds.post('/cds-services/nope').set('Authorization', await auth({ aud: `${ORIGIN}/cds-services/nope` })).send(hookRequest());
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not_found' });
    expect((await cds.get('/cds-services/test-allergies')).status).toBe(405);
    const bad = await cds.post('/cds-services/%E0%A4%A').send({});
    expect(bad.status).toBe(404);
    expect(bad.body.error).toBe('not_found');
    expect((await cds.post('/cds-services/test-allergies/feedback/x').send({})).status).toBe(404);
  });
});

describe('malformed requests: 400 with a message, the service never runs', () => {
  const cases: [string, (r: Record<string, any>) => unknown, RegExp][] = [
    ['not an object', () => [1, 2], /JSON object/],
    ['wrong hook', (r) => ({ ...r, hook: 'order-sign' }), /not this service's hook/],
    ['no hook', (r) => ({ ...r, hook: undefined }), /hook is required/],
    ['hookInstance not a UUID', (r) => ({ ...r, hookInstance: 'abc' }), /hookInstance must be a UUID/],
    ['no context', (r) => ({ ...r, context: undefined }), /context must be an object/],
    ['no patientId', (r) => ({ ...r, context: { userId: r.context.userId } }), /context.patientId is required/],
    ['bad userId', (r) => ({ ...r, context: { ...r.context, userId: 'Device/1' } }), /context.userId must be a reference/],
    ['bad encounterId', (r) => ({ ...r, context: { ...r.context, encounterId: 'a b' } }), /context.encounterId/],
    ['fhirServer not a URL', (r) => ({ ...r, fhirServer: 'fhir' }), /fhirServer must be an absolute/],
    ['fhirAuthorization without fhirServer', (r) => ({ ...r, fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 300, scope: 'a', subject: 'b' } }), /without fhirServer/],
    ['token_type not Bearer', (r) => ({ ...r, fhirServer: FHIR, fhirAuthorization: { access_token: 'x', token_type: 'MAC', expires_in: 300, scope: 'a', subject: 'b' } }), /token_type/],
    ['fhirAuthorization missing fields', (r) => ({ ...r, fhirServer: FHIR, fhirAuthorization: { access_token: 'x', token_type: 'Bearer' } }), /expires_in/],
    ['fhirServer without fhirAuthorization and prefetch incomplete', (r) => ({ ...r, fhirServer: FHIR }), /fhirAuthorization is required: prefetch/],
    ['prefetch not an object', (r) => ({ ...r, prefetch: [] }), /prefetch must be an object/],
    ['prefetch value not a resource', (r) => ({ ...r, prefetch: { patient: { id: 1 } } }), /prefetch.patient must be a FHIR resource/],
  ];
  for (const [name, mutate, message] of cases) {
    it(name, async () => {
      const before = inputs.length;
      const res = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).send(mutate(hookRequest()) as object);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.message).toMatch(message);
      expect(inputs.length).toBe(before);
    });
  }

  it('not JSON, wrong content type', async () => {
    const bad = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).set('Content-Type', 'application/json').send('{"hook":');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/not valid JSON/);
    const type = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).set('Content-Type', 'text/plain').send('x');
    expect(type.status).toBe(415);
  });

  it('resources sent are checked against the R4 definitions: wrong types and unknown elements are 400, a draft missing required elements is not', async () => {
    const send = async (draft: object) =>
      cds
        .post('/cds-services/test-long')
        .set('Authorization', await auth({ aud: `${ORIGIN}/cds-services/test-long` }))
        .send({ hook: 'order-sign', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] } } });
    const wrong = await send({ resourceType: 'MedicationRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: 'warfarin', dosageInstruction: 5, foo: 1 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/context.draftOrders is not valid FHIR: .*medicationCodeableConcept: not the element type FHIR defines/);
    expect(wrong.body.message).toMatch(/dosageInstruction/);
    // a draft without subject or medication passes validation (and reaches the service: 500 here, from its too-long card)
    const draft = await send({ resourceType: 'MedicationRequest', status: 'draft', intent: 'order' });
    expect(draft.status).not.toBe(400);
    const prefetch = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).send(hookRequest({ prefetch: { patient: { resourceType: 'Patient', birthDate: 'yesterday' } } }));
    expect(prefetch.status).toBe(400);
    expect(prefetch.body.message).toMatch(/prefetch.patient is not valid FHIR: Patient.birthDate/);
  });

  it('context per hook: order-sign needs draftOrders as a Bundle', async () => {
    const body = { hook: 'order-sign', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p1', draftOrders: { resourceType: 'Patient' } } };
    const res = await cds.post('/cds-services/test-long').set('Authorization', await auth({ aud: `${ORIGIN}/cds-services/test-long` })).send(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/context.draftOrders must be a FHIR Bundle/);
  });
});

describe('prefetch', () => {
  it('renders context and user tokens, and leaves a template whose token has no value unrendered', () => {
    const context = { userId: 'Practitioner/pr-1', patientId: 'p 1' };
    expect(renderTemplate('Observation?patient={{context.patientId}}&performer={{userPractitionerId}}', context)).toBe('Observation?patient=p%201&performer=pr-1');
    expect(renderTemplate('Patient/{{userPatientId}}', context)).toBeUndefined();
    expect(renderTemplate('Patient/{{userPatientId}}', { userId: 'Patient/9' })).toBe('Patient/9');
    expect(renderTemplate('PractitionerRole/{{userPractitionerRoleId}}', { userId: 'PractitionerRole/r' })).toBe('PractitionerRole/r');
    expect(renderTemplate('RelatedPerson/{{userRelatedPersonId}}', { userId: 'RelatedPerson/x' })).toBe('RelatedPerson/x');
  });

  it('uses what the client supplied, without asking any FHIR server', async () => {
    const supplied = { patient: { resourceType: 'Patient', id: patient }, allergies: { resourceType: 'Bundle', type: 'searchset', entry: [] }, user: null };
    const res = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).send(hookRequest({ prefetch: supplied }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ cards: [] });
    expect(inputs.at(-1)!.prefetch).toEqual(supplied);
  });

  it('fetches what is missing from Meridian with the fhirAuthorization token: read, search, and a read of the user', async () => {
    const res = await cds
      .post('/cds-services/test-allergies')
      .set('Authorization', await auth())
      .send(hookRequest({ fhirServer: FHIR, fhirAuthorization: { access_token: fullToken, token_type: 'Bearer', expires_in: 300, scope: 'system/Patient.rs system/AllergyIntolerance.rs', subject: 'cds-full' } }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const p = inputs.at(-1)!.prefetch;
    expect(p.patient).toMatchObject({ resourceType: 'Patient', id: patient });
    expect(p.allergies).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(p.user).toMatchObject({ resourceType: 'Practitioner', id: practitioner });
    expect(res.body.cards).toHaveLength(1);
    const card = res.body.cards[0];
    expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.suggestions[0].uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.selectionBehavior).toBe('at-most-one'); // suggestions, and the service gave none
    // the reads went through the FHIR API's own pipeline: each left its AuditEvent, naming the token's client
    await t.server.app.audit.flush();
    const { rows } = await t.db.db.query<{ content: any }>(
      `SELECT content FROM resources WHERE resource_type = 'AuditEvent' AND content::text LIKE '%search-type%' AND content::text LIKE '%cds-full%' AND content::text LIKE '%AllergyIntolerance%'`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
    // the service can read more through input.fhir, with the same token
    const reader = inputs.at(-1)!.fhir;
    expect((await reader.search('AllergyIntolerance?patient=' + patient)).length).toBe(1);
    expect(await reader.read('Patient', 'nobody')).toBeUndefined();
  });

  it('a read that finds nothing is null', async () => {
    const res = await cds
      .post('/cds-services/test-allergies')
      .set('Authorization', await auth())
      .send(hookRequest({ context: { userId: 'Practitioner/gone', patientId: patient }, prefetch: { patient: { resourceType: 'Patient', id: patient }, allergies: null }, fhirServer: FHIR, fhirAuthorization: { access_token: fullToken, token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'cds-full' } }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(inputs.at(-1)!.prefetch.user).toBeNull();
  });

  it('a token without the scope a prefetch needs: the FHIR API refuses (403), the CDS request is 412', async () => {
    const res = await cds
      .post('/cds-services/test-allergies')
      .set('Authorization', await auth())
      .send(hookRequest({ fhirServer: FHIR, fhirAuthorization: { access_token: patientOnlyToken, token_type: 'Bearer', expires_in: 300, scope: 'system/Patient.rs', subject: 'cds-narrow' } }));
    expect(res.status).toBe(412);
    expect(res.body).toMatchObject({ error: 'prefetch_failed' });
    expect(res.body.message).toMatch(/allergies .* answered 403/);
  });

  it('an unknown token: 412 naming the 401 the FHIR API gave', async () => {
    const res = await cds
      .post('/cds-services/test-allergies')
      .set('Authorization', await auth())
      .send(hookRequest({ fhirServer: FHIR, fhirAuthorization: { access_token: 'not-a-token', token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'x' } }));
    expect(res.status).toBe(412);
    expect(res.body.message).toMatch(/answered 401/);
  });

  it('no fhirServer and nothing supplied: 412', async () => {
    const res = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).send(hookRequest());
    expect(res.status).toBe(412);
    expect(res.body.message).toMatch(/no fhirServer/);
  });

  it('another FHIR server (allowed on this machine by the setting): fetched over HTTP with the token; one that answers no FHIR is 412, not 500', async () => {
    const seen: { url?: string; auth?: string }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.setHeader('content-type', 'application/fhir+json');
      if (req.url!.startsWith('/r4/Patient/')) res.end(JSON.stringify({ resourceType: 'Patient', id: patient }));
      else if (req.url!.startsWith('/r4/AllergyIntolerance')) res.end(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [] }));
      else if (req.url!.startsWith('/r4/Practitioner/')) { res.statusCode = 404; res.end('{}'); }
      else res.end('<html>not FHIR</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const allowed = request(createApp({ ...t.server.app, config: { ...t.server.app.config, cdsAuth: 'open', cdsAllowPrivateFhirServer: true } }, [allergyService]).callback());
      const fhirAuthorization = { access_token: 'remote-token', token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'x' };
      const ok = await allowed.post('/cds-services/test-allergies').send(hookRequest({ fhirServer: `${base}/r4`, fhirAuthorization }));
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(inputs.at(-1)!.prefetch).toMatchObject({ patient: { id: patient }, allergies: { resourceType: 'Bundle' }, user: null });
      expect(seen.every((r) => r.auth === 'Bearer remote-token')).toBe(true);
      const bad = await allowed.post('/cds-services/test-allergies').send(hookRequest({ fhirServer: `${base}/other`, fhirAuthorization }));
      expect(bad.status).toBe(412);
      expect(bad.body.message).toMatch(/did not answer a FHIR resource/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('another FHIR server on this machine is refused (SSRF)', async () => {
    const res = await cds
      .post('/cds-services/test-allergies')
      .set('Authorization', await auth())
      .send(hookRequest({ fhirServer: 'http://127.0.0.1:9/fhir', fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'x' } }));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/private network/);
  });
});

describe('client JWTs', () => {
  const send = (authorization?: string) => {
    const req = cds.post('/cds-services/test-allergies');
    if (authorization) req.set('Authorization', authorization);
    return req.send(hookRequest({ prefetch: { patient: null, allergies: null, user: null } }));
  };
  const refused = async (authorization: string | undefined, message: RegExp) => {
    const res = await send(authorization);
    expect(res.status, JSON.stringify(res.body)).toBe(401);
    expect(res.body.error).toBe('unauthorized');
    expect(res.body.message).toMatch(message);
  };

  it('a good one passes', async () => {
    expect((await send(await auth())).status).toBe(200);
  });
  it("Meridian's own browser apps call with a signed-in user's access token; a backend token is refused", async () => {
    await t.server.app.auth.accounts.create({ username: 'cds.doctor', password: 'cds-doctor-password', role: 'doctor' });
    const { access_token } = await userToken(t, 'cds-browser-app', { username: 'cds.doctor', password: 'cds-doctor-password' }, 'openid fhirUser user/*.rs');
    const ok = await send(`Bearer ${access_token}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    await refused(`Bearer ${await backendToken('cds-full', 'system/*.rs')}`, /signed-in user/);
  });
  it('no token', () => refused(undefined, /needs a JWT/));
  it('not a JWT', async () => {
    await refused('Basic abc', /not a Bearer JWT/);
    await refused('Bearer a.b', /not a Bearer JWT/);
    await refused('Bearer a.b.c', /not a JWT/);
    // a bearer without dots is taken for a Meridian access token (its own apps send those): unknown here
    await refused('Bearer abc', /access token is unknown/);
  });
  it('unknown iss', async () => refused(await auth({ iss: 'https://evil.example' }), /not a registered CDS client/));
  it('wrong aud', async () => refused(await auth({ aud: `${ORIGIN}/cds-services/other` }), /aud/));
  it('expired', async () => refused(await auth({ expIn: -120 }), /expired/));
  it('exp too far ahead', async () => refused(await auth({ expIn: 3600 }), /5 minutes/));
  it('wrong key', async () => refused(await auth({ alg: 'RS384', signWith: rsKey }), /signature|key/));
  it('unknown kid', async () => refused(await auth({ kid: 'other' }), /kid/));
  it('a replayed jti', async () => {
    const jti = randomUUID();
    expect((await send(await auth({ jti }))).status).toBe(200);
    await refused(await auth({ jti }), /replay/);
  });
  it('a jti is refused by another app on the same database too (kept in the database, not in memory)', async () => {
    const other = request(createApp(t.server.app, [allergyService]).callback());
    const jti = randomUUID();
    expect((await send(await auth({ jti }))).status).toBe(200);
    const again = await other.post('/cds-services/test-allergies').set('Authorization', await auth({ jti })).send(hookRequest({ prefetch: { patient: null, allergies: null, user: null } }));
    expect(again.status).toBe(401);
    expect(again.body.message).toMatch(/replay/);
  });
  it('HS256 and alg none', async () => {
    const hs = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'ehr-key' }).setIssuer(ISS).setAudience(`${ORIGIN}/cds-services/test-allergies`).setIssuedAt().setExpirationTime('2m').setJti(randomUUID()).sign(new TextEncoder().encode('secret-secret-secret-secret-32by'));
    await refused(`Bearer ${hs}`, /RS384 or ES384/);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', kid: 'ehr-key' })}.${b64({ iss: ISS, aud: `${ORIGIN}/cds-services/test-allergies`, iat: now, exp: now + 60, jti: randomUUID() })}.`;
    await refused(`Bearer ${none}`, /RS384 or ES384/);
  });
  it('a refused request runs nothing', async () => {
    const before = inputs.length;
    await send(await auth({ iss: 'https://evil.example' }));
    expect(inputs.length).toBe(before);
  });
});

describe('open mode (CDS_AUTH=open)', () => {
  it('accepts an unsigned request and says so in a header', async () => {
    const res = await open.post('/cds-services/test-allergies').send(hookRequest({ prefetch: { patient: null, allergies: null, user: null } }));
    expect(res.status).toBe(200);
    expect(res.headers['x-cds-auth']).toMatch(/open/);
  });
  it('still validates', async () => {
    const res = await open.post('/cds-services/test-allergies').send({ hook: 'patient-view' });
    expect(res.status).toBe(400);
  });
});

describe('service failures', () => {
  it('a service that throws is a logged 500 with a generic message (never its text)', async () => {
    const res = await open.post('/cds-services/test-broken').send(hookRequest());
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'service_error', message: expect.stringMatching(/test-broken failed/) });
    expect(JSON.stringify(res.body)).not.toMatch(/boom/);
  });
  it('a card over 140 characters is not sent', async () => {
    const res = await open.post('/cds-services/test-long').send({ hook: 'order-sign', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection' } } });
    expect(res.status).toBe(500);
  });
});

describe('feedback', () => {
  const post = async (body: unknown) =>
    cds.post('/cds-services/test-allergies/feedback').set('Authorization', await auth({ aud: `${ORIGIN}/cds-services/test-allergies/feedback` })).send(body as object);

  it('accepted and overridden outcomes are recorded (200)', async () => {
    const card = randomUUID();
    const res = await post({
      feedback: [
        { card, outcome: 'accepted', acceptedSuggestions: [{ id: randomUUID() }], outcomeTimestamp: new Date().toISOString() },
        { card: randomUUID(), outcome: 'overridden', overrideReason: { reason: { system: 'http://example.org/reasons', code: 'not-relevant', display: 'Not relevant' }, userComment: 'seen it' }, outcomeTimestamp: '2026-12-02T10:00:00Z' },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await t.server.app.audit.flush();
    const { rows } = await t.db.db.query<{ content: any }>(`SELECT content FROM resources WHERE resource_type = 'AuditEvent' AND content::text LIKE $1`, [`%${card}%`]);
    expect(rows).toHaveLength(1);
    const event = rows[0].content;
    expect(event.subtype.map((c: any) => c.code)).toEqual(['feedback', 'test-allergies']);
    expect(event.entity[0].detail).toEqual(expect.arrayContaining([{ type: 'outcome', valueString: 'accepted' }]));
    expect(event.entity[1].detail).toEqual(expect.arrayContaining([{ type: 'overrideReason', valueString: 'http://example.org/reasons|not-relevant (Not relevant)' }, { type: 'userComment', valueString: 'seen it' }]));
    expect(event.agent.find((a: any) => a.who.identifier?.value === ISS)).toBeTruthy();
  });

  it('the feedback JWT may also name the service endpoint as aud', async () => {
    const res = await cds
      .post('/cds-services/test-allergies/feedback')
      .set('Authorization', await auth())
      .send({ feedback: [{ card: randomUUID(), outcome: 'accepted', outcomeTimestamp: new Date().toISOString() }] });
    expect(res.status).toBe(200);
  });

  const bad: [string, unknown, RegExp][] = [
    ['no feedback array', {}, /feedback/],
    ['empty', { feedback: [] }, /at least one/],
    ['no card', { feedback: [{ outcome: 'accepted', outcomeTimestamp: '2026-12-02T10:00:00Z' }] }, /card/],
    ['bad outcome', { feedback: [{ card: 'c', outcome: 'ignored', outcomeTimestamp: '2026-12-02T10:00:00Z' }] }, /outcome must be/],
    ['bad timestamp', { feedback: [{ card: 'c', outcome: 'accepted', outcomeTimestamp: 'yesterday' }] }, /outcomeTimestamp/],
    ['override reason on accepted', { feedback: [{ card: 'c', outcome: 'accepted', overrideReason: {}, outcomeTimestamp: '2026-12-02T10:00:00Z' }] }, /only for outcome "overridden"/],
    ['reason without code', { feedback: [{ card: 'c', outcome: 'overridden', overrideReason: { reason: { display: 'x' } }, outcomeTimestamp: '2026-12-02T10:00:00Z' }] }, /Coding with a code/],
    ['bad acceptedSuggestions', { feedback: [{ card: 'c', outcome: 'accepted', acceptedSuggestions: ['x'], outcomeTimestamp: '2026-12-02T10:00:00Z' }] }, /acceptedSuggestions/],
  ];
  for (const [name, body, message] of bad) {
    it(`malformed: ${name} → 400`, async () => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    });
  }
});

describe('decision records', () => {
  it('an invocation leaves an AuditEvent: service, hook, patient, user, client, hook instance, each fired rule with why and version, each card', async () => {
    const req = hookRequest({ fhirServer: FHIR, fhirAuthorization: { access_token: fullToken, token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'cds-full' } });
    const res = await cds.post('/cds-services/test-allergies').set('Authorization', await auth()).send(req);
    expect(res.status).toBe(200);
    await t.server.app.audit.flush();
    const { rows } = await t.db.db.query<{ content: any }>(`SELECT content FROM resources WHERE resource_type = 'AuditEvent' AND content::text LIKE $1`, [`%${req.hookInstance}%`]);
    expect(rows).toHaveLength(1);
    const e = rows[0].content;
    expect(e.type.code).toBe('cds-hooks');
    expect(e.subtype.map((c: any) => c.code)).toEqual(['patient-view', 'test-allergies']);
    expect(e.entity.find((x: any) => x.role?.code === '1').what.reference).toBe(`Patient/${patient}`);
    const rule = e.entity.find((x: any) => x.name === 'test/allergy-present');
    expect(rule.description).toMatch(/AllergyIntolerance\/.+ is on record/);
    expect(rule.detail).toEqual([{ type: 'version', valueString: '2026.1' }]);
    expect(e.entity.find((x: any) => x.name === 'card').what.identifier.value).toBe(res.body.cards[0].uuid);
    expect(e.agent.map((a: any) => a.who.reference ?? a.who.identifier?.value ?? a.who.display)).toEqual([`Practitioner/${practitioner}`, ISS, FHIR]);
    // searchable like any AuditEvent, by a client with a scope naming it
    const auditor = await backendToken('auditor', 'system/AuditEvent.rs');
    const found = await t.http.get(`/fhir/AuditEvent?patient=Patient/${patient}&subtype=test-allergies`).auth(auditor, { type: 'bearer' });
    expect(found.status).toBe(200);
    expect(found.body.total).toBeGreaterThanOrEqual(1);
  });
});

describe("Meridian's client module (client.ts)", () => {
  it('discovers, prefetches on the client side, invokes, and sends feedback against the real app', async () => {
    const { CdsHooksClient, CdsClientError } = await import('../src/cds/index.js');
    const client = new CdsHooksClient({ servicesUrl: t.server.url, jwt: (aud) => jwt({ aud: aud.replace(t.server.url, ORIGIN) }) });
    const services = await client.discover();
    expect(services.length).toBeGreaterThan(0);
    const wide = await backendToken('cds-full', 'system/*.rs');
    const local = { fhirServer: `${t.server.url}/fhir`, accessToken: wide };
    const service = services.find((s) => s.hook === 'patient-view');
    if (service) {
      const context = { userId: `Practitioner/${practitioner}`, patientId: patient };
      const prefetch = await client.prefetch(service, context, local);
      expect(Object.keys(prefetch).sort()).toEqual(Object.keys(service.prefetch ?? {}).sort());
      const byClient = await client.invoke(service.id, { hook: 'patient-view', context, prefetch });
      expect(Array.isArray(byClient.cards)).toBe(true);
      // server-side prefetch: Meridian's own base, the same token
      const byServer = await client.call(service, context, { fhirServer: FHIR, accessToken: wide, scope: 'system/*.rs', subject: 'cds-full' });
      expect(byServer.cards.map((c) => c.summary)).toEqual(byClient.cards.map((c) => c.summary));
    }
    await client.feedback(services[0].id, [{ card: randomUUID(), outcome: 'accepted' }]);
    const error = await client.invoke(services[0].id, { hook: services[0].hook, context: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(CdsClientError);
    expect(error.status).toBe(400);
  });
});
