// Bulk Data Access 2.0 $export: the async protocol step by step, and ndjson that matches a search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer({ exportFileBytes: 4 * 1024, exportMaxJobs: 2 });
  const put = (r: Record<string, unknown>) => t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR_JSON).send(r);
  for (const id of ['x1', 'x2', 'x3']) await put({ resourceType: 'Patient', id, name: [{ family: `Export${id}` }] });
  for (let i = 0; i < 30; i++) {
    await put({ resourceType: 'Observation', id: `xo${i}`, status: i % 2 ? 'final' : 'preliminary', code: { text: 'hr' }, subject: { reference: `Patient/x${(i % 3) + 1}` }, valueQuantity: { value: i } });
  }
  await put({ resourceType: 'Practitioner', id: 'xp1', name: [{ family: 'NotInCompartment' }] });
  await put({ resourceType: 'Group', id: 'g1', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/x1' } }, { entity: { reference: 'Patient/x2' } }] });
});
afterAll(() => t?.close());

const ASYNC = { Prefer: 'respond-async', Accept: 'application/fhir+json' };
const local = (url: string) => url.replace('http://localhost', '');

async function kickoff(path: string) {
  const res = await t.http.get(path).set(ASYNC);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.headers['content-location']).toMatch(/^http:\/\/localhost\/fhir\/\$export-poll-status\/[0-9a-f-]+$/);
  return res.headers['content-location'] as string;
}

async function complete(statusUrl: string) {
  for (let i = 0; i < 200; i++) {
    const res = await t.http.get(local(statusUrl));
    if (res.status === 200) return res;
    expect(res.status).toBe(202);
    expect(res.headers['x-progress']).toBeTruthy();
    expect(res.headers['retry-after']).toBe('1');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not complete');
}

/** type -> ids in the manifest's files */
async function exported(manifest: any): Promise<Record<string, string[]>> {
  const byType: Record<string, string[]> = {};
  for (const file of manifest.output) {
    const res = await t.http.get(local(file.url)).set('Accept', 'application/fhir+ndjson');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+ndjson/);
    const lines = res.text.trim().split('\n').map((l: string) => JSON.parse(l));
    expect(lines).toHaveLength(file.count);
    for (const r of lines) {
      expect(r.resourceType).toBe(file.type);
      (byType[file.type] ??= []).push(r.id);
    }
  }
  for (const ids of Object.values(byType)) ids.sort();
  return byType;
}

async function searchIds(q: string): Promise<string[]> {
  const res = await t.http.get(`/fhir/${q}${q.includes('?') ? '&' : '?'}_count=1000`);
  return (res.body.entry ?? []).map((e: any) => e.resource.id).sort();
}

describe('$export', () => {
  it('system level: 202, polling, manifest, ndjson equal to a search of the same data, split files', async () => {
    const status = await kickoff('/fhir/$export?_type=Patient,Observation,Practitioner');
    const res = await complete(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const manifest = res.body;
    expect(Date.parse(manifest.transactionTime)).toBeGreaterThan(Date.now() - 60_000);
    expect(manifest.request).toBe('http://localhost/fhir/$export?_type=Patient,Observation,Practitioner');
    expect(manifest.requiresAccessToken).toBe(false);
    expect(manifest.error).toEqual([]);
    const files = manifest.output.filter((o: any) => o.type === 'Observation');
    expect(files.length).toBeGreaterThan(1); // 30 observations split at 4 KB
    const got = await exported(manifest);
    expect(got.Patient).toEqual(await searchIds('Patient'));
    expect(got.Observation).toEqual(await searchIds('Observation'));
    expect(got.Practitioner).toEqual(['xp1']);
  });

  it('Patient and Group level export the compartments, with _type, _typeFilter and _since', async () => {
    const patient = await exported((await complete(await kickoff('/fhir/Patient/$export?_type=Patient,Observation,Practitioner'.replace(',Practitioner', '')))).body);
    expect(patient.Patient).toEqual(['x1', 'x2', 'x3']);
    expect(patient.Observation).toEqual(await searchIds('Observation?subject:Patient=x1,x2,x3'));
    expect(patient.Practitioner).toBeUndefined();

    const group = await exported((await complete(await kickoff('/fhir/Group/g1/$export'))).body);
    expect(group.Patient).toEqual(['x1', 'x2']);
    expect(group.Observation).toEqual(await searchIds('Observation?subject=Patient/x1,Patient/x2'));
    expect(group.Group).toEqual(['g1']); // the Group lists its members, so it is in their compartments

    const filtered = await exported((await complete(await kickoff('/fhir/$export?_type=Observation&_typeFilter=Observation%3Fstatus%3Dfinal%26value-quantity%3Dlt10'))).body);
    expect(filtered.Observation).toEqual(await searchIds('Observation?status=final&value-quantity=lt10'));

    const future = new Date(Date.now() + 60_000).toISOString();
    const since = (await complete(await kickoff(`/fhir/$export?_type=Patient&_since=${encodeURIComponent(future)}`))).body;
    expect(since.output).toEqual([]);
  });

  it('DELETE cancels the job and removes its files', async () => {
    const status = await kickoff('/fhir/$export?_type=Observation');
    const manifest = (await complete(status)).body;
    const del = await t.http.delete(local(status));
    expect(del.status).toBe(202);
    expect((await t.http.get(local(status))).status).toBe(404);
    expect((await t.http.get(local(manifest.output[0].url))).status).toBe(404);
    expect((await t.http.delete(local(status))).status).toBe(404);
  });

  it('rejects bad kick-offs with a 4xx OperationOutcome', async () => {
    const bad = async (path: string, headers: Record<string, string> = ASYNC, status = 400) => {
      const res = await t.http.get(path).set(headers);
      expect(res.status, path).toBe(status);
      expect(res.body.resourceType).toBe('OperationOutcome');
    };
    await bad('/fhir/$export', { Accept: 'application/fhir+json' });
    await bad('/fhir/$export?_outputFormat=text/csv');
    await bad('/fhir/$export?_type=Spaceship');
    await bad('/fhir/Patient/$export?_type=Practitioner');
    await bad('/fhir/$export?_since=yesterday');
    await bad('/fhir/$export?_typeFilter=Observation%3Fnonsense%3D1');
    await bad('/fhir/$export?_typeFilter=garbage');
    await bad('/fhir/$export?patient=Patient/x1');
    await bad('/fhir/Group/nope/$export', ASYNC, 404);
    await bad('/fhir/Observation/$export', ASYNC, 404);
    expect((await t.http.get('/fhir/$export-poll-status/unknown-job')).status).toBe(404);
  });

  it('429 with Retry-After when too many jobs wait', async () => {
    await t.server.app.exports.stop(); // hold jobs in the queue
    const a = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    const b = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    const c = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(c.status).toBe(429);
    expect(c.headers['retry-after']).toBe('10');
    expect(c.body.resourceType).toBe('OperationOutcome');
    await t.http.delete(local(a.headers['content-location']));
    await t.http.delete(local(b.headers['content-location']));
  });
});

describe('$export across restarts', () => {
  it('a job whose owner went quiet is taken over and completed; a stopping worker leaves its job for the next', async () => {
    const { startExportRunner } = await import('../src/bulk/runner.js');
    await t.server.app.exports.stop(); // this server's worker is gone, as after a crash
    const status = await kickoff('/fhir/$export?_type=Patient');
    const jobId = status.split('/').pop();
    // as a crashed process leaves it: running, with an old heartbeat
    await t.db.db.query("UPDATE bulk_jobs SET status = 'running', heartbeat = now() - interval '1 hour' WHERE id = $1", [jobId]);
    const poll = await t.http.get(local(status));
    expect(poll.status).toBe(202);
    const next = startExportRunner(t.db.db, t.server.app.log, { baseUrl: 'http://localhost/fhir', fileBytes: 4096 }, 50);
    try {
      const manifest = (await complete(status)).body;
      expect(manifest.output.map((o: any) => o.type)).toEqual(['Patient']);
      expect(manifest.output[0].count).toBe(3);
    } finally {
      await next.stop();
    }
  });
});
