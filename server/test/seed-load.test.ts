// The seed loader: transaction Bundles over HTTP, with progress; loading twice duplicates nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatientBundles, generatePractice } from '../../seed/generate.js';
import { clientCredentialsToken, loadBundles, type LoadProgress } from '../../seed/load.js';
import { freePort, testServer, type TestServer } from './harness.js';

let t: TestServer;
beforeAll(async () => {
  t = await testServer({ bodyLimit: 32 * 1024 * 1024 });
});
afterAll(() => t?.close());

const count = async (type: string) => (await t.http.get(`/fhir/${type}?_summary=count`)).body.total as number;

describe('seed loader', () => {
  it('loads the practice and patients, then finds everything already there on a second run', async () => {
    const options = { patients: 4, seed: 'loader-test', asOf: '2026-11-01' };
    const baseUrl = `${t.server.url}/fhir`;
    const practice = await loadBundles([generatePractice(options)], { baseUrl, concurrency: 1 });
    expect(practice.failed).toBe(0);
    const progress: LoadProgress[] = [];
    const first = await loadBundles(generatePatientBundles(options), { baseUrl, concurrency: 2, total: 4, onProgress: (p) => progress.push(p) });
    expect(first.failed, first.errors.join('\n')).toBe(0);
    expect(first.bundles).toBe(4);
    expect(first.created).toBe(first.resources);
    expect(progress.map((p) => p.bundles)).toEqual([1, 2, 3, 4]);
    const patients = await count('Patient');
    const observations = await count('Observation');
    expect(patients).toBe(4);
    expect(observations).toBeGreaterThan(10);

    const again = await loadBundles(generatePatientBundles(options), { baseUrl, concurrency: 2 });
    expect(again.failed).toBe(0);
    expect(again.created).toBe(0);
    expect(again.existing).toBe(first.resources);
    expect(await count('Patient')).toBe(patients);
    expect(await count('Observation')).toBe(observations);
  }, 120_000);

  it('reports a failing Bundle and goes on with the others', async () => {
    const bad = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', gender: 'bogus' }, request: { method: 'POST', url: 'Patient' } }] };
    const good = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', gender: 'male' }, request: { method: 'POST', url: 'Patient' } }] };
    const summary = await loadBundles([bad, good] as never, { baseUrl: `${t.server.url}/fhir`, concurrency: 1 });
    expect(summary.failed).toBe(1);
    expect(summary.bundles).toBe(2);
    expect(summary.errors[0]).toMatch(/HTTP 400: Bundle\.entry\[0\].*gender/);
  });
});

describe('seed loader against AUTH_MODE=smart', () => {
  it('gets a token with a backend client id and secret and loads with it; without one it fails clearly', async () => {
    const port = await freePort();
    const smart = await testServer({ authMode: 'smart', port, baseUrl: `http://127.0.0.1:${port}/fhir`, bodyLimit: 32 * 1024 * 1024 });
    try {
      const secret = 'loader-secret-0123456789abcdef0123';
      await smart.server.app.auth.clients.register({
        client_id: 'loader',
        client_secret: secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      });
      const baseUrl = `http://127.0.0.1:${port}/fhir`;
      const options = { patients: 1, seed: 'loader-smart', asOf: '2026-11-01' };
      const refused = await loadBundles([generatePractice(options)], { baseUrl, concurrency: 1, retries: 0 });
      expect(refused.failed).toBe(1);
      expect(refused.errors.join()).toMatch(/401/);
      await expect(clientCredentialsToken(baseUrl, 'loader', 'wrong-secret')).rejects.toThrow(/invalid_client/);
      const token = await clientCredentialsToken(baseUrl, 'loader', secret);
      const loaded = await loadBundles([generatePractice(options), ...generatePatientBundles(options)], { baseUrl, concurrency: 1, token });
      expect(loaded.failed, loaded.errors.join('\n')).toBe(0);
      expect(loaded.created).toBeGreaterThan(50);
    } finally {
      await smart.close();
    }
  }, 120_000);
});
