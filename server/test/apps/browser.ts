// Browser tests of the SMART apps: a Meridian on a real port with a small seeded population and one
// account per role, Debian's Chromium driven by playwright-core (never a downloaded browser), the
// real SMART flows through Meridian's login and consent pages, axe-core, and screenshots in
// test-artifacts/apps/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Patient } from '@medplum/fhirtypes';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Role } from '../../src/auth/roles.js';
import type { Config } from '../../src/config.js';
import { loadDemoPopulation } from '../../src/demo.js';
import { freePort, testServer, type TestServer } from '../harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'apps');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');

export interface Account {
  username: string;
  password: string;
  role: Role;
  fhirUser?: string;
}

export interface AppsWorld {
  t: TestServer;
  origin: string;
  fhirBase: string;
  browser: Browser;
  accounts: Record<Role, Account>;
  close(): Promise<void>;
}

/**
 * Meridian with `patients` seeded patients (the demo generator: a practice with practitioners,
 * schedules and slots, and patients with their records) and an account per role.
 */
export async function appsWorld(options: { patients?: number; config?: Partial<Config> } = {}): Promise<AppsWorld> {
  if (!fs.existsSync(path.join(ROOT, 'smart-apps/dist/launcher/app.js'))) throw new Error('The apps are not built: npm run build:apps (npm test does it first)');
  const port = await freePort();
  const fhirBase = `http://127.0.0.1:${port}/fhir`;
  const t = await testServer({ authMode: 'smart', port, baseUrl: fhirBase, ...options.config });
  const app = t.server.app;
  await loadDemoPopulation(app, options.patients ?? 3);
  const first = async (type: string) =>
    (await app.db.query<{ id: string }>('SELECT id FROM resources WHERE resource_type = $1 AND NOT deleted ORDER BY id LIMIT 1', [type])).rows[0]?.id;
  const practitioner = await first('Practitioner');
  const patient = await first('Patient');
  const accounts = {
    doctor: { username: 'doctor', password: 'doctor-password-1', role: 'doctor', fhirUser: `Practitioner/${practitioner}` },
    nurse: { username: 'nurse', password: 'nurse-password-1', role: 'nurse' },
    receptionist: { username: 'reception', password: 'reception-password-1', role: 'receptionist' },
    billing: { username: 'billing', password: 'billing-password-1', role: 'billing' },
    admin: { username: 'admin', password: 'admin-password-1', role: 'admin' },
    patient: { username: 'patient', password: 'patient-password-1', role: 'patient', fhirUser: `Patient/${patient}` },
  } as Record<Role, Account>;
  for (const a of Object.values(accounts)) await app.auth.accounts.create({ ...a, displayName: `Test ${a.role}` });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return {
    t,
    origin: new URL(fhirBase).origin,
    fhirBase,
    browser,
    accounts,
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** A fresh page (its own cookies and storage) that records what went wrong, for failure messages. */
export async function newPage(world: AppsWorld, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; log: string[] }> {
  // bypassCSP: axe-core is injected as an inline script (the CSP header itself is tested)
  // the seeded practice keeps Eastern time (-05:00): show its clinic hours as its staff would see them
  const context = await world.browser.newContext({ viewport, bypassCSP: true, timezoneId: 'America/New_York' });
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (m) => m.type() === 'error' && log.push(`console.error: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && log.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`));
  return { page, log };
}

/** Meridian's login page, then its consent page when it comes (a grant already given skips it). */
export async function signIn(page: Page, account: Account, options: { patientName?: string } = {}): Promise<void> {
  await page.waitForSelector('#username', { timeout: 20_000 });
  await page.fill('#username', account.username);
  await page.fill('#password', account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await consent(page, options);
}

/** Picks the patient (standalone launch by a clinician) and allows, if Meridian asks. */
export async function consent(page: Page, options: { patientName?: string } = {}): Promise<void> {
  await page.waitForLoadState('domcontentloaded');
  if (!page.url().includes('/interaction/')) return;
  if (options.patientName && (await page.locator('input[name="patient"]').count())) {
    await page.getByLabel(options.patientName, { exact: false }).first().check();
    await page.getByRole('button', { name: 'Open this patient' }).click();
    await page.waitForLoadState('domcontentloaded');
  }
  if (page.url().includes('/interaction/')) await page.getByRole('button', { name: 'Allow' }).click();
}

/** The launcher signed in as `account`, its patient list shown. */
export async function openLauncher(world: AppsWorld, page: Page, account: Account): Promise<void> {
  await page.goto(`${world.origin}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signIn(page, account);
  await page.waitForURL(`${world.origin}/apps/launcher/`);
  await page.getByRole('list', { name: 'Patients found' }).getByRole('listitem').first().waitFor();
}

/** From the launcher: select the patient and open the app with an EHR launch, through consent. */
export async function launchFromLauncher(world: AppsWorld, page: Page, appName: string, patientIndex = 0): Promise<void> {
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: /^Select/ }).nth(patientIndex).click();
  await page.getByRole('button', { name: `Open ${appName}` }).click();
  await launched(page);
}

/** After an app was opened with ?iss=&launch=: through consent (when asked) into the app. */
export async function launched(page: Page): Promise<void> {
  // through /auth to the consent page, or (a grant already given) back to the app, its code spent
  const settled = (u: URL) => u.pathname.startsWith('/interaction/') || (u.pathname.startsWith('/apps/') && !u.pathname.startsWith('/apps/launcher') && !/[?&](launch|code)=/.test(u.search));
  await page.waitForURL(settled, { timeout: 20_000 });
  await consent(page);
}

/** axe-core on the page as it is now (shadow roots included): no serious or critical violation. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ content: fs.readFileSync(AXE, 'utf8') });
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  })) as { id: string; impact: string; help: string; targets: string[] }[];
  fs.writeFileSync(path.join(ARTIFACTS, `${name}.axe.json`), JSON.stringify(violations, null, 2));
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), `${name}: axe`).toEqual([]);
}

/** A seeded adult patient (over 30: adult dosing and care-gap rules apply), and their name as the apps show it. */
export async function adultPatient(world: AppsWorld): Promise<{ patient: Patient; name: string }> {
  const { rows } = await world.t.server.app.db.query<{ content: Patient }>(`SELECT content FROM resources WHERE resource_type = 'Patient' AND NOT deleted`);
  const adults = rows.map((r) => r.content).filter((p) => p.birthDate && Date.now() - Date.parse(p.birthDate) > 30 * 365.25 * 86_400_000);
  const patient = adults[0] ?? rows[0].content;
  const n = patient.name?.[0];
  return { patient, name: n?.text ?? [...(n?.prefix ?? []), ...(n?.given ?? []), n?.family].filter(Boolean).join(' ') };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
