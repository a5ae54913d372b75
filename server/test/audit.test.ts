// The audit trail: every REST and search interaction on patient data leaves the AuditEvent IHE BALP
// describes (who: user and client; what: the resources and the patient; when; from where; action;
// outcome), writes leave theirs in the same database transaction, refusals and sign-ins are
// recorded, and AuditEvents can be read only with a scope that names them and never changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertValid } from '../src/fhir/validate.js';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';
import { userToken } from './smart-flow.js';

let t: TestServer;
let a: string;
let b: string;
let obsA: string;
let obsB: string;
let practitioner: string;
let doctor: string; // user/*.cruds, openid fhirUser
let admin: string; // user/AuditEvent.rs

const doctorUser = { username: 'dr.audit', password: 'audit-password-1' };
const adminUser = { username: 'admin.audit', password: 'admin-password-1' };

async function token(user: typeof doctorUser, scope: string): Promise<string> {
  return (await userToken(t, 'app', user, scope)).access_token;
}

/** The AuditEvents stored while fn ran (ids are time-ordered, so "new" is "not there before"). */
async function audited(fn: () => Promise<unknown>): Promise<AuditEvent[]> {
  const all = async () => (await t.db.db.query<{ id: string; content: AuditEvent }>(`SELECT id, content FROM resources WHERE resource_type = 'AuditEvent' ORDER BY id`)).rows;
  await t.server.app.audit.flush(); // what earlier requests read is not this one's
  const before = new Set((await all()).map((r) => r.id));
  await fn();
  await t.server.app.audit.flush(); // reads are recorded just after they answer
  const events = (await all()).filter((r) => !before.has(r.id)).map((r) => r.content);
  for (const e of events) assertValid(e); // each one a valid R4 AuditEvent
  return events;
}

const subtype = (e: AuditEvent) => e.subtype?.map((c) => c.code);
const patientOf = (e: AuditEvent) => e.entity?.find((x) => x.role?.code === '1')?.what?.reference;
const dataOf = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '4').map((x) => x.what?.reference);
const queryOf = (e: AuditEvent) => {
  const q = e.entity?.find((x) => x.role?.code === '24')?.query;
  return q ? Buffer.from(q, 'base64').toString() : undefined;
};
const agent = (e: AuditEvent, code: string) => e.agent.find((g) => g.type?.coding?.some((c) => c.code === code));
const get = (url: string, bearer = doctor) => t.http.get(url).auth(bearer, { type: 'bearer' });
const send = (method: 'post' | 'put' | 'patch' | 'delete', url: string, body?: object, bearer = doctor) => {
  const req = t.http[method](url).auth(bearer, { type: 'bearer' });
  return body ? req.set('Content-Type', method === 'patch' ? 'application/json-patch+json' : FHIR_JSON).send(JSON.stringify(body)) : req;
};
const obs = (subject: string, value: number) => ({
  resourceType: 'Observation' as const,
  status: 'final' as const,
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${subject}` },
  valueQuantity: { value },
});

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-audit-'));
  fs.writeFileSync(
    path.join(dir, 'clients.json'),
    JSON.stringify([{ client_id: 'app', token_endpoint_auth_method: 'none', redirect_uris: ['http://app.example/callback'], grant_types: ['authorization_code'], response_types: ['code'] }]),
  );
  t = await testServer({ authMode: 'smart', authClientsFile: path.join(dir, 'clients.json') });
  const { repo, auth } = t.server.app;
  practitioner = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Audit' }] })).resource.id!;
  a = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Amsel', given: ['Ann'] }] })).resource.id!;
  b = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Brandt', given: ['Ben'] }] })).resource.id!;
  obsA = (await repo.create(obs(a, 70))).resource.id!;
  obsB = (await repo.create(obs(b, 90))).resource.id!;
  await auth.accounts.create({ ...doctorUser, role: 'doctor', fhirUser: `Practitioner/${practitioner}` });
  await auth.accounts.create({ ...adminUser, role: 'admin' });
  doctor = await token(doctorUser, 'openid fhirUser user/*.cruds');
  admin = await token(adminUser, 'user/AuditEvent.rs');
});

afterAll(() => t?.close());

describe('reads', () => {
  it('a read names the user, the client, where it came from, the resource and the patient', async () => {
    const [e, ...more] = await audited(async () => expect((await get(`/fhir/Observation/${obsA}`)).status).toBe(200));
    expect(more).toEqual([]);
    expect(e.type).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' });
    expect(subtype(e)).toEqual(['read']);
    expect(e.action).toBe('R');
    expect(e.outcome).toBe('0');
    expect(Date.now() - Date.parse(e.recorded)).toBeLessThan(60_000);
    expect(patientOf(e)).toBe(`Patient/${a}`);
    expect(dataOf(e)).toEqual([`Observation/${obsA}/_history/1`]);
    const user = agent(e, 'IRCP')!;
    expect(user.who).toMatchObject({ reference: `Practitioner/${practitioner}` });
    expect(user.altId).toBe('dr.audit');
    expect(user.requestor).toBe(true);
    const client = agent(e, '110153')!;
    expect(client.who?.identifier).toEqual({ system: 'urn:meridian:client', value: 'app' });
    expect(client.network?.address).toMatch(/127\.0\.0\.1|::1/);
    expect(agent(e, '110152')!.network).toEqual({ address: 'http://localhost/fhir', type: '5' });
    expect(e.source.type?.[0]).toMatchObject({ code: '4' });
  });

  it('vread, and a read of the Patient itself', async () => {
    const [v] = await audited(() => get(`/fhir/Observation/${obsB}/_history/1`).expect(200));
    expect(subtype(v)).toEqual(['vread']);
    expect(patientOf(v)).toBe(`Patient/${b}`);
    const [p, ...more] = await audited(() => get(`/fhir/Patient/${a}`).expect(200));
    expect(more).toEqual([]);
    expect(patientOf(p)).toBe(`Patient/${a}`);
  });

  it('a search leaves one event per patient found, with the query (BALP Query)', async () => {
    const events = await audited(() => get(`/fhir/Observation?code=8867-4&_sort=_id`).expect(200));
    expect(events.map(patientOf).sort()).toEqual([`Patient/${a}`, `Patient/${b}`].sort());
    for (const e of events) {
      expect(subtype(e)).toEqual(['search-type']);
      expect(e.action).toBe('E');
      expect(queryOf(e)).toBe('/Observation?code=8867-4&_sort=_id');
    }
  });

  it('a search that finds nothing still leaves an event; POST _search records its form parameters', async () => {
    const [none, ...more] = await audited(() => get('/fhir/Observation?code=nothing-like-this').expect(200));
    expect(more).toEqual([]);
    expect(patientOf(none)).toBeUndefined();
    expect(queryOf(none)).toBe('/Observation?code=nothing-like-this');
    const [post] = await audited(() =>
      t.http.post('/fhir/Patient/_search').auth(doctor, { type: 'bearer' }).type('form').send({ family: 'Amsel' }).expect(200),
    );
    expect(queryOf(post)).toBe('/Patient?family=Amsel');
    expect(patientOf(post)).toBe(`Patient/${a}`);
  });

  it('compartment search and $everything name the patient', async () => {
    const [c] = await audited(() => get(`/fhir/Patient/${a}/Observation`).expect(200));
    expect(subtype(c)).toEqual(['search-type']);
    expect(patientOf(c)).toBe(`Patient/${a}`);
    const events = await audited(() => get(`/fhir/Patient/${a}/$everything`).expect(200));
    expect(events).toHaveLength(1);
    expect(subtype(events[0])).toEqual(['operation', '$everything']);
    expect(patientOf(events[0])).toBe(`Patient/${a}`);
  });

  it('history at instance, type and system level', async () => {
    const [i] = await audited(() => get(`/fhir/Observation/${obsA}/_history`).expect(200));
    expect(subtype(i)).toEqual(['history-instance']);
    expect(patientOf(i)).toBe(`Patient/${a}`);
    const typed = await audited(() => get('/fhir/Observation/_history').expect(200));
    expect(typed.every((e) => subtype(e)![0] === 'history-type')).toBe(true);
    expect(typed.map(patientOf)).toEqual(expect.arrayContaining([`Patient/${a}`, `Patient/${b}`]));
  });

  it('a batch records what its GET entries read', async () => {
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Observation/${obsB}` } }, { request: { method: 'GET', url: `Patient?_id=${a}` } }] };
    const events = await audited(() => send('post', '/fhir', bundle).expect(200));
    expect(events.map((e) => `${subtype(e)![0]} ${patientOf(e)}`).sort()).toEqual([`read Patient/${b}`, `search-type Patient/${a}`].sort());
  });

  it('reading what belongs to no patient leaves no event', async () => {
    expect(await audited(() => get(`/fhir/Practitioner/${practitioner}`).expect(200))).toEqual([]);
  });
});

describe('writes', () => {
  it('create, update, patch and delete each leave one event, committed with the change', async () => {
    let id = '';
    const [c, ...more] = await audited(async () => {
      const res = await send('post', '/fhir/Observation', obs(a, 71)).expect(201);
      id = res.body.id;
    });
    expect(more).toEqual([]);
    expect([subtype(c), c.action, patientOf(c), dataOf(c)]).toEqual([['create'], 'C', `Patient/${a}`, [`Observation/${id}/_history/1`]]);
    expect(agent(c, 'AUT')!.who?.reference).toBe(`Practitioner/${practitioner}`);
    // the same database transaction wrote both rows
    const xmin = async (type: string, rid: string) => (await t.db.db.query<{ x: string }>('SELECT xmin::text AS x FROM resources WHERE resource_type = $1 AND id = $2', [type, rid])).rows[0].x;
    const eventId = (await t.db.db.query<{ id: string }>(`SELECT id FROM resources WHERE resource_type = 'AuditEvent' AND content->>'recorded' = $1`, [c.recorded])).rows[0].id;
    expect(await xmin('AuditEvent', eventId)).toBe(await xmin('Observation', id));

    const [u] = await audited(() => send('put', `/fhir/Observation/${id}`, { ...obs(a, 72), id }).expect(200));
    expect([subtype(u), u.action, dataOf(u)]).toEqual([['update'], 'U', [`Observation/${id}/_history/2`]]);
    const [p] = await audited(() => send('patch', `/fhir/Observation/${id}`, [{ op: 'replace', path: '/valueQuantity/value', value: 73 }]).expect(200));
    expect([subtype(p), p.action, dataOf(p)]).toEqual([['patch'], 'U', [`Observation/${id}/_history/3`]]);
    const [d] = await audited(() => send('delete', `/fhir/Observation/${id}`).expect(200));
    expect([subtype(d), d.action, patientOf(d), dataOf(d)]).toEqual([['delete'], 'D', `Patient/${a}`, [`Observation/${id}/_history/4`]]);
  });

  it('conditional writes are audited like the interaction they become', async () => {
    const tagged = { ...obs(b, 80), identifier: [{ system: 'urn:test', value: 'cond-1' }] };
    const [c] = await audited(() => send('post', '/fhir/Observation', tagged).set('If-None-Exist', 'identifier=urn:test|cond-1').expect(201));
    expect(subtype(c)).toEqual(['create']);
    const [u] = await audited(() => send('put', '/fhir/Observation?identifier=urn:test|cond-1', { ...tagged, status: 'amended' }).expect(200));
    expect(subtype(u)).toEqual(['update']);
    const [d] = await audited(() => send('delete', '/fhir/Observation?identifier=urn:test|cond-1').expect(200));
    expect([subtype(d), patientOf(d)]).toEqual([['delete'], `Patient/${b}`]);
  });

  it('a transaction leaves one event per kind of change and patient; a failed one leaves none', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:1', resource: obs(a, 60), request: { method: 'POST', url: 'Observation' } },
        { fullUrl: 'urn:uuid:2', resource: obs(a, 61), request: { method: 'POST', url: 'Observation' } },
        { fullUrl: 'urn:uuid:3', resource: obs(b, 62), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const events = await audited(() => send('post', '/fhir', bundle).expect(200));
    expect(events.map((e) => `${subtype(e)} ${patientOf(e)} ${dataOf(e).length}`).sort()).toEqual([`create Patient/${a} 2`, `create Patient/${b} 1`].sort());

    const count = async () => (await t.db.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resources WHERE resource_type = 'Observation'`)).rows[0].n;
    const before = await count();
    const stale = { resource: { ...obs(a, 63), id: obsA }, request: { method: 'PUT', url: `Observation/${obsA}`, ifMatch: 'W/"99"' } };
    const broken = { ...bundle, entry: [...bundle.entry, stale] };
    // rolled back: no Observation and no AuditEvent (a 412 is not a refusal of access either)
    expect(await audited(() => send('post', '/fhir', broken).expect(412))).toEqual([]);
    expect(await count()).toBe(before);
  });
});

describe('refusals', () => {
  it('no token: 401 recorded with an anonymous client and the request', async () => {
    const [e, ...more] = await audited(() => t.http.get(`/fhir/Patient/${a}`).expect(401));
    expect(more).toEqual([]);
    expect([subtype(e), e.outcome]).toEqual([['read'], '4']);
    expect(e.outcomeDesc).toMatch(/^401 /);
    expect(agent(e, '110153')!.who?.display).toMatch(/anonymous/);
    expect(queryOf(e)).toBe(`/Patient/${a}`);
  });

  it('insufficient scope: 403 recorded with the user', async () => {
    const [e] = await audited(() => get('/fhir/AuditEvent').expect(403));
    expect([subtype(e), e.outcome]).toEqual([['search-type'], '4']);
    expect(agent(e, 'IRCP')!.altId).toBe('dr.audit');
  });
});

describe('the audit trail itself', () => {
  it('is searchable by patient, user and action with an admin scope, and not with a wildcard', async () => {
    const byPatient = await get(`/fhir/AuditEvent?patient=${a}&action=C`, admin).expect(200);
    expect(byPatient.body.entry.length).toBeGreaterThan(0);
    for (const e of byPatient.body.entry) expect(patientOf(e.resource)).toBe(`Patient/${a}`);
    const byUser = await get(`/fhir/AuditEvent?agent=Practitioner/${practitioner}&_count=1`, admin).expect(200);
    expect(byUser.body.entry).toHaveLength(1);
    const byAltId = await get('/fhir/AuditEvent?altid=dr.audit&_summary=count', admin).expect(200);
    expect(byAltId.body.total).toBeGreaterThan(5);
    expect((await get(`/fhir/AuditEvent?patient=${a}`)).status).toBe(403); // user/*.cruds does not reach it
  });

  it('cannot be created, changed or deleted, even by an admin', async () => {
    const [one] = (await get('/fhir/AuditEvent?_count=1', admin).expect(200)).body.entry;
    const event = one.resource as AuditEvent;
    const adminAll = await token(adminUser, 'user/*.cruds user/AuditEvent.cruds');
    for (const res of [
      await send('post', '/fhir/AuditEvent', { ...event, id: undefined }, adminAll),
      await send('put', `/fhir/AuditEvent/${event.id}`, event, adminAll),
      await send('patch', `/fhir/AuditEvent/${event.id}`, [{ op: 'replace', path: '/outcome', value: '8' }], adminAll),
      await send('delete', `/fhir/AuditEvent/${event.id}`, undefined, adminAll),
      await send('delete', '/fhir/AuditEvent?outcome=0', undefined, adminAll),
    ]) {
      expect(res.status).toBe(405);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: `AuditEvent/${event.id}` } }] };
    expect((await send('post', '/fhir', bundle, adminAll)).status).toBe(405);
    expect((await get(`/fhir/AuditEvent/${event.id}`, admin).expect(200)).body).toEqual(event);
  });

  it('is left out of system history and of an export of every type', async () => {
    // system history needs every type: the doctor's user/*.cruds reaches it
    const history = await get('/fhir/_history?_count=500');
    expect(history.status).toBe(200);
    expect(history.body.entry.some((e: { resource?: { resourceType: string } }) => e.resource?.resourceType === 'AuditEvent')).toBe(false);
    const [kickoff] = await audited(() => get('/fhir/$export').set('Prefer', 'respond-async').expect(202));
    expect(subtype(kickoff)).toEqual(['operation', '$export']);
    expect(kickoff.action).toBe('E');
  });
});

describe('sign-in', () => {
  it('records failed and successful logins with the user name and the client', async () => {
    const failed = await audited(async () => {
      await expect(token({ ...doctorUser, password: 'wrong-password' }, 'user/Patient.rs')).rejects.toThrow(/login refused/);
    });
    expect(failed).toHaveLength(1);
    expect(failed[0].type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114' });
    expect(subtype(failed[0])).toEqual(['110122']);
    expect([failed[0].outcome, failed[0].outcomeDesc]).toEqual(['4', 'wrong username or password']);
    expect(agent(failed[0], 'IRCP')!.altId).toBe('dr.audit');
    const ok = await audited(() => token(doctorUser, 'user/Patient.rs'));
    expect(ok).toHaveLength(1);
    expect(ok[0].outcome).toBe('0');
    expect(agent(ok[0], 'IRCP')!.who?.reference).toBe(`Practitioner/${practitioner}`);
    expect(agent(ok[0], '110153')!.who?.identifier?.value).toBe('app');
  });
});
