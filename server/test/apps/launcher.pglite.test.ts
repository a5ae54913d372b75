// The launcher: sign in through the real SMART standalone flow, find a patient, open the chart for
// them with an EHR launch; the demo accounts page; the apps are served with a CSP and a built bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsWorld, expectAccessible, launched, newPage, openLauncher, screenshot, type AppsWorld } from './browser.js';

let world: AppsWorld;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-launcher-'));
beforeAll(async () => {
  world = await appsWorld({ patients: 3, config: { dataDir } });
});
afterAll(() => world?.close());

describe('launcher', () => {
  it('serves / as the launcher, with a CSP, and each app its client.json', async () => {
    const root = await world.t.http.get('/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/apps/launcher/');
    const page = await world.t.http.get('/apps/launcher/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const client = await world.t.http.get('/apps/chart/client.json');
    expect(client.body).toEqual({ clientId: 'meridian-chart', scope: expect.stringContaining('launch'), iss: world.fhirBase });
    expect((await world.t.http.get('/apps/../package.json')).status).not.toBe(200);
    expect((await world.t.http.get('/apps/%E0%A4%A/x')).status).toBe(404);
    const registry = await world.t.http.get('/apps/registry.json');
    expect(registry.body.apps.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining(['meridian-chart', 'meridian-portal']));
  });

  it('shows the demo sign-ins of the embedded demo on its first page, never the backend client secret', async () => {
    expect((await world.t.http.get('/apps/demo-accounts.json')).status).toBe(404); // no demo made
    const demo = { accounts: [{ username: 'doctor', password: 'shown-once', role: 'doctor' }], client: { client_id: 'cli', client_secret: 'never-shown' } };
    fs.writeFileSync(path.join(dataDir, 'demo-access.json'), JSON.stringify(demo));
    try {
      const res = await world.t.http.get('/apps/demo-accounts.json');
      expect(res.body).toEqual({ accounts: [{ username: 'doctor', password: 'shown-once', role: 'doctor' }] });
      expect(JSON.stringify(res.body)).not.toContain('never-shown');
      const { page } = await newPage(world, { width: 768, height: 1024 });
      await page.goto(world.origin);
      await page.getByRole('cell', { name: 'shown-once' }).waitFor();
      await expectAccessible(page, 'launcher-welcome');
      await screenshot(page, 'launcher-welcome');
    } finally {
      fs.rmSync(path.join(dataDir, 'demo-access.json'));
    }
  });

  it('signs in, lists patients, searches, and is accessible', async () => {
    const { page, log } = await newPage(world);
    await openLauncher(world, page, world.accounts.doctor);
    const rows = page.getByRole('list', { name: 'Patients found' }).getByRole('listitem');
    expect(await rows.count(), log.join('\n')).toBe(3);
    const firstName = (await rows.first().locator('strong').textContent())!;
    await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: /^Select/ }).first().click();
    await expectAccessible(page, 'launcher');
    await screenshot(page, 'launcher');
    await page.fill('#q', firstName.split(' ').at(-1)!);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(1);
    await page.fill('#q', 'Nobody-by-this-name');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No patient matches.').waitFor();
  });

  it('works from the keyboard alone: skip to content, search, select a patient, open the chart', async () => {
    const { page, log } = await newPage(world);
    await openLauncher(world, page, world.accounts.doctor);
    /** What has focus, looking into shadow roots: its tag and accessible text. */
    const focused = () =>
      page.evaluate(() => {
        let el = (globalThis as unknown as { document: { activeElement: any } }).document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return `${el?.tagName.toLowerCase()} ${el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? ''}`;
      });
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('button Skip to content');
    await page.keyboard.press('Enter');
    expect(await focused()).toMatch(/^main/);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatch(/^input/);
    const family = (await page.getByRole('list', { name: 'Patients found' }).locator('strong').nth(1).textContent())!.split(' ').at(-1)!;
    await page.keyboard.type(family);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('list', { name: 'Patients found' }).getByRole('listitem').count()).toBe(1);
    await page.keyboard.press('Tab'); // Search
    await page.keyboard.press('Tab'); // the patient's Select
    expect(await focused()).toMatch(new RegExp(`^button Select .*${family}`));
    await page.keyboard.press('Enter');
    for (let i = 0; i < 10 && !(await focused()).startsWith('button Open Chart'); i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('button Open Chart');
    await page.keyboard.press('Enter');
    await launched(page);
    await expect.poll(() => page.getByRole('region', { name: 'Patient' }).textContent().catch(() => ''), { message: log.join('\n'), timeout: 30_000 }).toContain(family);
  }, 120_000);
});
