// The admin app: standalone SMART launch as the admin, users and roles, clients, and the audit-log
// viewer (AuditEvent search by user, patient, action and date); a non-admin gets a readable refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsWorld, expectAccessible, newPage, screenshot, signIn, type AppsWorld } from './browser.js';

let world: AppsWorld;
beforeAll(async () => {
  world = await appsWorld({ patients: 2 });
});
afterAll(() => world?.close());

async function openAdmin(account = world.accounts.admin, viewport?: { width: number; height: number }) {
  const { page, log } = await newPage(world, viewport);
  await page.goto(`${world.origin}/apps/admin/`);
  await signIn(page, account);
  await page.waitForURL(`${world.origin}/apps/admin/`);
  return { page, log };
}

describe('admin app', () => {
  it('lists and adds users, refuses a taken name readably, and is accessible', async () => {
    const { page, log } = await openAdmin();
    const rows = page.getByRole('tabpanel').getByRole('row');
    await expect.poll(() => rows.count(), { message: log.join('\n') }).toBe(7); // header + 6 accounts
    await page.getByLabel('User name').fill('nurse.two');
    await page.getByLabel('Display name').fill('Nurse Two');
    await page.getByLabel('Role', { exact: true }).selectOption('nurse');
    await page.getByLabel('Password').fill('a-long-password-2');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('User nurse.two added').waitFor();
    await expect.poll(() => rows.count()).toBe(8);
    expect(await world.t.server.app.auth.accounts.findByUsername('nurse.two')).toMatchObject({ role: 'nurse' });

    await page.getByLabel('User name').fill('nurse.two');
    await page.getByLabel('Password').fill('a-long-password-2');
    await page.getByRole('button', { name: 'Add user' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not allowed|exists|conflict/i);
    await expectAccessible(page, 'admin-users');
    await screenshot(page, 'admin');
  });

  it('shows the built-in app clients and registers a launchable app', async () => {
    const { page } = await openAdmin();
    await page.getByRole('tab', { name: 'Clients' }).click();
    await page.getByRole('cell', { name: 'meridian-chart' }).waitFor();
    await page.getByLabel('Client id').fill('growth-charts');
    await page.getByLabel('Name').fill('Growth charts');
    await page.getByLabel('Redirect URI').fill('https://growth.example/app/');
    await page.getByLabel('Launch URL').fill('https://growth.example/app/launch');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByText('Client growth-charts registered').waitFor();
    const registry = await world.t.http.get('/apps/registry.json');
    expect(registry.body.apps).toContainEqual(expect.objectContaining({ id: 'growth-charts', launchUrl: 'https://growth.example/app/launch', launch: 'ehr' }));
    await page.getByLabel('Launch URL').fill('javascript:alert(1)');
    await page.getByLabel('Client id').fill('bad-app');
    await page.getByLabel('Name').fill('Bad');
    await page.getByLabel('Redirect URI').fill('https://bad.example/');
    await page.getByRole('button', { name: 'Register' }).click();
    // the browser refuses a non-URL in a url field before anything is sent; nothing registered
    expect(await world.t.server.app.auth.clients.find('bad-app')).toBeUndefined();
    await expectAccessible(page, 'admin-clients');
  });

  it('searches the audit log by user, patient and action', async () => {
    const { page } = await openAdmin(world.accounts.admin, { width: 768, height: 1024 });
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByLabel('User name').fill('admin');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const table = page.getByRole('tabpanel').getByRole('table');
    await table.waitFor();
    const cells = await table.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(cells.length).toBeGreaterThan(0);
    expect(new Set(cells)).toEqual(new Set(['admin']));
    await expectAccessible(page, 'admin-audit');
    await screenshot(page, 'admin-audit-tablet');

    await page.getByLabel('User name').fill('');
    await page.getByLabel('Patient (name or id)').fill('Nobody Atall');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('No patient is called "Nobody Atall"');

    await page.getByLabel('Patient (name or id)').fill('');
    await page.getByLabel('Action').selectOption('E'); // the searches just made
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(async () => new Set(await table.locator('tbody tr td:nth-child(3)').allTextContents())).toEqual(new Set(['Execute (search, operation)']));
  });

  it('gives a non-admin a readable refusal', async () => {
    const { page } = await openAdmin(world.accounts.nurse);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/You are not allowed to do this/);
  });
});
