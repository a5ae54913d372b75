// The vitals monitor: a nurse opens it (standalone launch), the ward's vital signs show with a
// sparkline each; a bedside device (a backend client bound to a Device) posts a heart rate over HTTP
// and it is on screen within a second, out of range and flagged; the server drops the websocket while
// the browser is offline, a reading posted meanwhile is fetched with $events after the reconnect.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Subscription } from '@medplum/fhirtypes';
import { appsWorld, expectAccessible, newPage, screenshot, signIn, type AppsWorld } from './browser.js';

let world: AppsWorld;
let deviceToken: string;

const heartRate = (patient: string, value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: new Date().toISOString(),
  device: { reference: 'Device/bedside-1' },
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

/** The bedside device posts a reading: a real HTTP request with its own token. */
async function post(patient: string, value: number): Promise<string> {
  const res = await fetch(`${world.fhirBase}/Observation`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${deviceToken}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(heartRate(patient, value)),
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

// page.evaluate bodies run in the browser (the test's tsconfig has no DOM lib)
declare const document: { querySelector(selector: string): any };

/** The heart rate shown for a patient, read from the app's shadow root. */
const shownHeartRate = (page: Page, patient: string) =>
  page.evaluate((id) => {
    const root = document.querySelector('m-monitor-app')!.shadowRoot!;
    const row = root.querySelector(`[data-patient="${id}"] tr[data-vital="hr"]`);
    return { value: row?.querySelector('[data-value]')?.textContent ?? '', range: row?.getAttribute('data-range') ?? '' };
  }, patient);

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-monitor-'));
  const clients = [{ client_id: 'bedside-1', client_secret: 'bedside-1-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], meridian_device: 'Device/bedside-1' }];
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify(clients));
  world = await appsWorld({ patients: 3, config: { authClientsFile: path.join(dir, 'clients.json') } });
  await world.t.server.app.repo.update('Device', 'bedside-1', { resourceType: 'Device', id: 'bedside-1', status: 'active', deviceName: [{ name: 'Bedside monitor 1', type: 'user-friendly-name' }] });
  const token = await world.t.http.post('/auth/token').auth('bedside-1', 'bedside-1-secret-0123456789').type('form').send({ grant_type: 'client_credentials', scope: 'system/Observation.c' });
  expect(token.status, JSON.stringify(token.body)).toBe(200);
  deviceToken = token.body.access_token;
}, 120_000);
afterAll(() => world?.close());

describe('vitals monitor', () => {
  it('shows the ward live: a device reading within a second, out of range flagged; catches up after a dropped connection', async () => {
    const { page, log } = await newPage(world);
    await page.goto(`${world.origin}/apps/monitor/`);
    await signIn(page, world.accounts.nurse);
    await page.waitForURL(`${world.origin}/apps/monitor/`);
    log.length = 0; // the sign-in pages' own (a favicon) are not the app's
    const live = page.locator('[data-connection="live"]');
    await live.waitFor({ timeout: 20_000 }).catch((e) => {
      throw new Error(`${e.message}\n${log.join('\n')}`);
    });
    const cards = page.locator('article[data-patient]');
    expect(await cards.count(), log.join('\n')).toBe(3);
    // the seeded history: sparklines drawn by uPlot (canvas), with a text alternative
    await expect.poll(() => page.locator('m-sparkline canvas').count()).toBeGreaterThan(3);
    const [first, second] = [await cards.nth(0).getAttribute('data-patient'), await cards.nth(1).getAttribute('data-patient')] as string[];

    // a heart rate from the bedside device: on screen within a second of the POST's response
    await post(first, 137);
    const posted = Date.now();
    await page.waitForFunction(
      (id) => document.querySelector('m-monitor-app')?.shadowRoot?.querySelector(`[data-patient="${id}"] tr[data-vital="hr"] [data-value]`)?.textContent === '137',
      first,
      { polling: 10, timeout: 5000 },
    );
    const latency = Date.now() - posted;
    expect(latency, `shown ${latency} ms after the POST`).toBeLessThan(1000);
    expect(await shownHeartRate(page, first)).toEqual({ value: '137', range: 'high' });
    const card = page.locator(`article[data-patient="${first}"]`);
    await expect.poll(() => card.getAttribute('class')).toContain('alerting');
    await page.getByRole('log', { name: 'Out-of-range readings' }).getByText('Heart rate 137').waitFor();
    await expectAccessible(page, 'monitor');
    await screenshot(page, 'monitor');

    // the server drops the socket while the browser is offline; a reading is posted meanwhile
    const sub = (await world.t.server.app.db.query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Subscription' AND NOT deleted")).rows;
    expect(sub).toHaveLength(1);
    await page.context().setOffline(true);
    const hub = world.t.server.app.subscriptions.hub as unknown as { server: { clients: Set<{ terminate(): void }> } };
    for (const ws of hub.server.clients) ws.terminate();
    await page.locator('[data-connection="reconnecting"]').waitFor();
    await post(second, 58);
    await new Promise((r) => setTimeout(r, 500));
    expect((await shownHeartRate(page, second)).value).not.toBe('58');
    await page.context().setOffline(false);
    await live.waitFor({ timeout: 20_000 });
    await expect.poll(() => shownHeartRate(page, second), { timeout: 5000 }).toEqual({ value: '58', range: 'normal' });
    expect(await page.getByText(/Events received: 2$/).count()).toBe(1);

    // and live again after the reconnect
    await post(second, 29);
    await expect.poll(() => shownHeartRate(page, second), { timeout: 3000 }).toEqual({ value: '29', range: 'low' });

    await page.setViewportSize({ width: 768, height: 1024 });
    await expectAccessible(page, 'monitor-768');
    await screenshot(page, 'monitor-768');

    // signing out turns the subscription off
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(async () => ((await world.t.server.app.repo.read('Subscription', sub[0].id).catch(() => undefined)) as Subscription | undefined)?.status ?? 'deleted').toMatch(/off|deleted/);
    // the only failures: the reconnect attempts made while the browser was offline
    expect(log.filter((l) => !l.includes('ERR_INTERNET_DISCONNECTED')), log.join('\n')).toEqual([]);
  }, 120_000);
});
