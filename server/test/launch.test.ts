// SMART App Launch against the real authorization server, driven over HTTP as a browser would:
// standalone launch with the patient picker, EHR launch with a launch minted by Meridian's launcher,
// PKCE, id_token with fhirUser, refresh tokens, token-response context, accounts (lockout, TOTP,
// roles), and the bad cases (wrong verifier, reused code, wrong aud, unknown launch, denial).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';
import { authorize, exchange, FHIR, launchParams, pkce } from './smart-flow.js';

let t: TestServer;
let patientA: string;
let patientB: string;
let encounterB: string;
let practitioner: string;
const totpSecret = new Secret({ size: 20 });
const SECRET = 'scheduler-secret-0123456789abcdef';

const doctor = { username: 'dr.house', password: 'correct horse battery' };
const patientUser = { username: 'ada', password: 'ada-password-1' };
const nurse = { username: 'nurse.joy', password: 'nurse-password-1' };

beforeAll(async () => {
  const clients = [
    { client_id: 'growth-chart', client_name: 'Growth Chart', token_endpoint_auth_method: 'none', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    { client_id: 'scheduler', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-launch-'));
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify(clients));
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json') });
  const { repo, auth } = t.server.app;
  patientA = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Lovelace', given: ['Ada'] }], birthDate: '1815-12-10' })).resource.id!;
  patientB = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Babbage', given: ['Charles'] }] })).resource.id!;
  encounterB = (await repo.create({ resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: `Patient/${patientB}` } })).resource.id!;
  practitioner = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'House' }] })).resource.id!;
  await auth.accounts.create({ ...doctor, role: 'doctor', displayName: 'Dr Gregory House', fhirUser: `Practitioner/${practitioner}` });
  await auth.accounts.create({ ...patientUser, role: 'patient', displayName: 'Ada Lovelace', fhirUser: `Patient/${patientA}` });
  await auth.accounts.create({ ...nurse, role: 'nurse', totpSecret: totpSecret.base32 });
  await auth.accounts.create({ username: 'front.desk', password: 'front-desk-pw', role: 'receptionist' });
});

afterAll(() => t?.close());

const totpCode = () => new TOTP({ secret: totpSecret }).generate();

async function launch(user: typeof doctor & { code?: string }, scope: string, extra: Record<string, string> = {}, steps = {}) {
  const { verifier, challenge } = pkce();
  const params = launchParams('growth-chart', scope, challenge, extra);
  const answer = await authorize(t, params, user, steps);
  return { answer, verifier, state: params.state };
}

async function tokens(user: typeof doctor, scope: string, extra: Record<string, string> = {}, steps = {}) {
  const { answer, verifier, state } = await launch(user, scope, extra, steps);
  expect(answer.get('error'), answer.get('error_description') ?? '').toBeNull();
  expect(answer.get('state')).toBe(state);
  const res = await exchange(t, 'growth-chart', answer.get('code')!, verifier);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

describe('discovery', () => {
  it('names the authorization endpoint and the launch capabilities', async () => {
    const res = await t.http.get('/fhir/.well-known/smart-configuration');
    expect(res.body.authorization_endpoint).toBe('http://localhost/auth/auth');
    expect(res.body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    for (const c of ['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'context-standalone-patient', 'sso-openid-connect', 'permission-offline', 'permission-patient', 'permission-user', 'authorize-post']) {
      expect(res.body.capabilities).toContain(c);
    }
    const oidc = await t.http.get('/auth/.well-known/openid-configuration');
    expect(oidc.body.code_challenge_methods_supported).toEqual(['S256']);
    expect(oidc.body.claims_supported).toContain('fhirUser');
  });
});

describe('standalone launch', () => {
  it('logs a doctor in, lets them pick a patient, and answers with the SMART token response', async () => {
    const pages: string[] = [];
    const res = await tokens(doctor, 'openid fhirUser launch/patient offline_access patient/*.rs user/Practitioner.rs', {}, {
      pick: { query: 'Lovelace', patient: patientA },
      onPage: (_p: string, html: string) => pages.push(html),
    });
    expect(pages.some((p) => p.includes('<label for="username">'))).toBe(true);
    expect(pages.some((p) => p.includes('Ada Lovelace') && p.includes('born 1815-12-10'))).toBe(true);
    expect(pages.some((p) => p.includes('Allow Growth Chart?') && p.includes('Dr Gregory House'))).toBe(true);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.body).toMatchObject({ token_type: 'Bearer', patient: patientA, need_patient_banner: true, smart_style_url: 'http://localhost/smart-style.json' });
    expect(res.body.expires_in).toBeGreaterThan(0);
    expect(res.body.scope.split(' ').sort()).toEqual(['fhirUser', 'launch/patient', 'offline_access', 'openid', 'patient/*.rs', 'user/Practitioner.rs']);
    expect(res.body.refresh_token).toEqual(expect.any(String));
    const idToken = decodeJwt(res.body.id_token);
    expect(idToken.fhirUser).toBe(`${FHIR}/Practitioner/${practitioner}`);
    expect(idToken.aud).toBe('growth-chart');

    const read = await t.http.get(`/fhir/Patient/${patientA}`).auth(res.body.access_token, { type: 'bearer' });
    expect(read.status).toBe(200);
    expect(read.body.name[0].family).toBe('Lovelace');
  });

  it('gives a patient their own record without a picker', async () => {
    const res = await tokens(patientUser, 'openid fhirUser launch/patient patient/*.rs');
    expect(res.body.patient).toBe(patientA);
    expect(decodeJwt(res.body.id_token).fhirUser).toBe(`${FHIR}/Patient/${patientA}`);
    expect(res.body.refresh_token).toBeUndefined(); // neither offline_access nor online_access
  });

  it('narrows scopes to the role: a patient gets no user/ scopes, a receptionist no clinical data', async () => {
    const patient = await tokens(patientUser, 'launch/patient patient/*.cruds user/*.cruds');
    expect(patient.body.scope.split(' ').sort()).toEqual(['launch/patient', 'patient/*.rs', 'patient/Appointment.cu']);
    const desk = await tokens({ username: 'front.desk', password: 'front-desk-pw' }, 'user/*.cruds user/Observation.rs');
    const granted: string[] = desk.body.scope.split(' ');
    expect(granted).toContain('user/Appointment.crus');
    expect(granted).toContain('user/Patient.crus');
    expect(granted.some((s) => s.startsWith('user/Observation'))).toBe(false);
    expect(granted.some((s) => s.startsWith('user/*'))).toBe(false);
  });

  it('accepts the authorization request as a POST (authorize-post)', async () => {
    const { verifier, challenge } = pkce();
    const params = launchParams('growth-chart', 'openid patient/*.rs launch/patient', challenge);
    const start = await t.http.post('/auth/auth').type('form').send(params).redirects(0);
    expect(start.status).toBe(303);
    expect(start.headers.location).toMatch(/\/interaction\//);
    // the rest as usual
    const answer = await authorize(t, params, patientUser);
    expect((await exchange(t, 'growth-chart', answer.get('code')!, verifier)).status).toBe(200);
  });
});

describe('EHR launch', () => {
  it('carries the patient and encounter the launcher put into the launch', async () => {
    const ehr = await tokens(doctor, 'openid fhirUser user/*.cruds');
    const minted = await t.http.post('/launch').auth(ehr.body.access_token, { type: 'bearer' }).send({ patient: patientB, encounter: encounterB, app: 'http://app.example/launch' });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);
    const url = new URL(minted.body.url);
    expect(url.searchParams.get('iss')).toBe(FHIR);
    expect(url.searchParams.get('launch')).toBe(minted.body.launch);

    const res = await tokens(doctor, 'launch openid fhirUser patient/*.rs', { launch: minted.body.launch });
    expect(res.body).toMatchObject({ patient: patientB, encounter: encounterB, need_patient_banner: false });
    const introspection = await t.http.post('/auth/token/introspection').auth('scheduler', SECRET).type('form').send({ token: res.body.access_token });
    expect(introspection.body).toMatchObject({ active: true, patient: patientB, encounter: encounterB, client_id: 'growth-chart' });
  });

  it('refuses an unknown launch, and a launch of another patient for a patient user', async () => {
    const unknown = await launch(doctor, 'launch patient/*.rs', { launch: 'no-such-launch' });
    expect(unknown.answer.get('error')).toBe('invalid_request');
    expect(unknown.answer.get('error_description')).toMatch(/launch/);

    const ehr = await tokens(doctor, 'user/*.rs');
    const minted = await t.http.post('/launch').auth(ehr.body.access_token, { type: 'bearer' }).send({ patient: patientB });
    const other = await launch(patientUser, 'launch patient/*.rs', { launch: minted.body.launch });
    expect(other.answer.get('error')).toBe('access_denied');
  });

  it('mints launches only for signed-in users, for patients that exist', async () => {
    expect((await t.http.post('/launch').send({ patient: patientA })).status).toBe(401);
    const ehr = await tokens(doctor, 'user/*.rs');
    const bad = await t.http.post('/launch').auth(ehr.body.access_token, { type: 'bearer' }).send({ patient: '../x' });
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
    const missing = await t.http.post('/launch').auth(ehr.body.access_token, { type: 'bearer' }).send({ patient: 'nobody' });
    expect(missing.status).toBe(404);
    const notJson = await t.http.post('/launch').auth(ehr.body.access_token, { type: 'bearer' }).type('text').send('patient=1');
    expect(notJson.status).toBe(400);
  });
});

describe('codes, PKCE and refresh', () => {
  it('refuses a wrong code_verifier', async () => {
    const { answer } = await launch(patientUser, 'patient/*.rs launch/patient');
    const res = await exchange(t, 'growth-chart', answer.get('code')!, pkce().verifier);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('refuses a reused code and revokes what the first use gave', async () => {
    const { answer, verifier } = await launch(patientUser, 'patient/*.rs launch/patient offline_access');
    const first = await exchange(t, 'growth-chart', answer.get('code')!, verifier);
    expect(first.status).toBe(200);
    const again = await exchange(t, 'growth-chart', answer.get('code')!, verifier);
    expect(again.body.error).toBe('invalid_grant');
    expect((await t.http.get(`/fhir/Patient/${patientA}`).auth(first.body.access_token, { type: 'bearer' })).status).toBe(401);
    const refresh = await t.http.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: 'growth-chart' });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('refuses an authorization request without PKCE, with plain PKCE, or for another aud', async () => {
    const { challenge } = pkce();
    for (const [params, error] of [
      [{ ...launchParams('growth-chart', 'patient/*.rs', challenge), code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      [{ ...launchParams('growth-chart', 'patient/*.rs', challenge), code_challenge_method: 'plain' }, 'invalid_request'],
      [launchParams('growth-chart', 'patient/*.rs', challenge, { aud: 'http://elsewhere.example/fhir' }), 'invalid_request'],
      [{ ...launchParams('growth-chart', 'patient/*.rs', challenge), aud: undefined }, 'invalid_request'],
    ] as const) {
      const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const res = await t.http.get(`/auth/auth?${new URLSearchParams(clean)}`).redirects(0);
      expect(res.status).toBe(303);
      const answer = new URL(res.headers.location).searchParams;
      expect(answer.get('error'), JSON.stringify(clean)).toBe(error);
    }
  });

  it('refreshes with offline_access, keeping the context; a public client may leave client_id out', async () => {
    const first = await tokens(patientUser, 'openid launch/patient patient/*.rs offline_access');
    const refreshed = await t.http.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: 'growth-chart' });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body).toMatchObject({ patient: patientA });
    expect(refreshed.body.scope).toContain('patient/*.rs');
    expect((await t.http.get(`/fhir/Patient/${patientA}`).auth(refreshed.body.access_token, { type: 'bearer' })).status).toBe(200);
    const withoutClientId = await t.http.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
    expect(withoutClientId.status, JSON.stringify(withoutClientId.body)).toBe(200);
  });

  it('works for a confidential client authenticating with its secret', async () => {
    const { verifier, challenge } = pkce();
    const params = launchParams('scheduler', 'openid user/Appointment.cruds online_access', challenge);
    const answer = await authorize(t, params, doctor);
    const res = await exchange(t, 'scheduler', answer.get('code')!, verifier, { secret: SECRET });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.refresh_token).toEqual(expect.any(String)); // online_access
    const wrong = await exchange(t, 'scheduler', answer.get('code')!, verifier, { secret: 'wrong' });
    expect(wrong.body.error).toBe('invalid_client');
  });

  it('revokes an access token', async () => {
    const res = await tokens(patientUser, 'launch/patient patient/*.rs');
    const revoked = await t.http.post('/auth/token/revocation').type('form').send({ token: res.body.access_token, client_id: 'growth-chart' });
    expect(revoked.status).toBe(200);
    const after = await t.http.get(`/fhir/Patient/${patientA}`).auth(res.body.access_token, { type: 'bearer' });
    expect(after.status).toBe(401);
    expect(after.headers['www-authenticate']).toMatch(/invalid_token/);
  });
});

describe('accounts', () => {
  it('answers a wrong password with the login page again, and locks after repeated failures', async () => {
    const victim = { username: 'locked.out', password: 'right-password-1' };
    await t.server.app.auth.accounts.create({ ...victim, role: 'nurse' });
    for (let i = 0; i < 4; i++) {
      await expect(launch({ ...victim, password: 'wrong' }, 'user/*.rs')).rejects.toThrow(/username or password is not right/);
    }
    await expect(launch({ ...victim, password: 'wrong' }, 'user/*.rs')).rejects.toThrow(/locked/);
    // the right password does not open a locked account
    await expect(launch(victim, 'user/*.rs')).rejects.toThrow(/locked/);
  });

  it('asks for the TOTP code of an account with a second factor', async () => {
    await expect(launch(nurse, 'user/*.rs')).rejects.toThrow(/6-digit code/);
    await expect(launch({ ...nurse, code: '000000' === totpCode() ? '111111' : '000000' }, 'user/*.rs')).rejects.toThrow(/one-time code is not right/);
    const res = await tokens({ ...nurse, code: totpCode() } as typeof doctor, 'user/*.rs');
    expect(res.body.scope).toBe('user/*.rs');
  });

  it('stores passwords as scrypt hashes, never as given', async () => {
    const { rows } = await t.server.app.db.query<{ password_hash: string }>('SELECT password_hash FROM account WHERE username = $1', [doctor.username]);
    expect(rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(rows[0].password_hash).not.toContain(doctor.password);
  });

  it('sends the user back to the app with access_denied when they deny', async () => {
    const { verifier, challenge } = pkce();
    void verifier;
    const answer = await authorize(t, launchParams('growth-chart', 'patient/*.rs launch/patient', challenge), patientUser, { deny: true });
    expect(answer.get('error')).toBe('access_denied');
  });

  it('shows an expired or foreign interaction as a page that says so', async () => {
    const res = await t.http.get('/interaction/not-a-real-one');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Sign-in expired');
  });
});

describe('server keys', () => {
  it('are made once and kept in the database: a restart or a second process signs with the same key', async () => {
    const { serverKeys } = await import('../src/auth/keys.js');
    const first = await serverKeys(t.db.db);
    const again = await serverKeys(t.db.db);
    expect(again).toEqual(first);
    expect(first.signing[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(first.signing[0].d).toBeDefined();
    // the provider publishes that key (public half only)
    const jwks = (await t.http.get('/auth/jwks').expect(200)).body;
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([first.signing[0].kid]);
    expect(jwks.keys[0].d).toBeUndefined();
  });
});
