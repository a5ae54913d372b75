// Billing: launched from the launcher by the billing user with a patient in context; a claim built
// from today's (unbilled) encounter, checked, submitted to the demo payer (Claim/$submit), its
// ClaimResponse shown and the claims list's totals by status; bad claims refused readably, nothing written.
import type { Condition, Encounter } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsWorld, expectAccessible, launchFromLauncher, newPage, openLauncher, screenshot, type AppsWorld } from './browser.js';

let world: AppsWorld;
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

const count = async (sql: string, params: unknown[] = []) => Number((await world.t.server.app.db.query<{ n: string }>(sql, params)).rows[0].n);
const claimsOf = (type: string) => count('SELECT count(*) AS n FROM resources WHERE resource_type = $1 AND NOT deleted', [type]);

beforeAll(async () => {
  world = await appsWorld({ patients: 3 });
  // today's visit for every patient, not billed yet, with one of their problems as its reason
  const { app } = world.t.server;
  const practitioner = world.accounts.doctor.fhirUser!;
  const patients = (await app.db.query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Patient' AND NOT deleted")).rows;
  for (const { id } of patients) {
    const conditions = (await app.db.query<{ content: Condition }>("SELECT content FROM resources WHERE resource_type = 'Condition' AND NOT deleted AND content->'subject'->>'reference' LIKE $1", [`%Patient/${id}`])).rows
      .map((r) => r.content)
      .filter((c) => c.code?.coding?.some((x) => x.system === ICD10CM && x.code !== 'Z00.00'));
    const now = new Date();
    const encounter: Encounter = {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      type: [{ text: 'Office visit today' }],
      subject: { reference: `Patient/${id}` },
      participant: [{ individual: { reference: practitioner } }],
      period: { start: new Date(now.getTime() - 3600_000).toISOString(), end: now.toISOString() },
      reasonReference: conditions.slice(0, 1).map((c) => ({ reference: `Condition/${c.id}` })),
    };
    const { resource } = await app.repo.create(encounter);
    // an ECG done at the visit, coded in CPT: the claim's second item
    await app.repo.create({
      resourceType: 'Procedure',
      status: 'completed',
      code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '93000' }], text: 'Electrocardiogram' },
      subject: { reference: `Patient/${id}` },
      encounter: { reference: `Encounter/${resource.id}` },
      performedDateTime: now.toISOString(),
    } as never);
  }
});
afterAll(() => world?.close());

async function openBilling(viewport?: { width: number; height: number }, patientIndex = 0): Promise<{ page: Page; log: string[] }> {
  const { page, log } = await newPage(world, viewport);
  await openLauncher(world, page, world.accounts.billing);
  await launchFromLauncher(world, page, 'Billing', patientIndex);
  try {
    // the app's page first authorizes (a redirect to the consent page comes after the launch URL)
    const allow = page.getByRole('button', { name: 'Allow' });
    await allow.or(page.getByRole('heading', { name: 'New claim' })).first().waitFor({ timeout: 30_000 });
    if (await allow.count()) await allow.click();
    await page.getByRole('heading', { name: 'New claim' }).waitFor({ timeout: 30_000 });
    await page.getByText('billable').first().waitFor();
  } catch (e) {
    await screenshot(page, 'billing-failed-open');
    throw new Error(`${(e as Error).message}\n${page.url()}\n${(await page.locator('body').innerText()).slice(0, 2000)}\n${log.join('\n')}`);
  }
  return { page, log };
}

describe('billing', () => {
  it('builds a claim from an encounter, checks it, submits it and shows the payer\'s answer and the totals', async () => {
    const { page, log } = await openBilling();
    try {
      // today's encounter is chosen (the newest not billed), its reason checked as a diagnosis
      const encounter = page.getByLabel('Encounter');
      expect(await encounter.locator('option:checked').textContent()).toMatch(/Office visit today · not billed/);
      expect(await page.getByRole('checkbox', { checked: true }).count()).toBeGreaterThanOrEqual(1);
      await page.getByLabel('Procedure of item 1').selectOption('99213');
      await page.getByLabel('Unit price of item 1').fill('131');
      // the encounter's Procedure is item 2
      expect(await page.getByLabel('Procedure of item 2').inputValue()).toBe('93000');
      await page.getByLabel('Unit price of item 2').fill('36');
      await page.getByRole('button', { name: 'Add item' }).click();
      await page.getByLabel('Procedure of item 3').selectOption('36415');
      await page.getByLabel('Unit price of item 3').fill('12.50');
      await page.getByLabel('Quantity of item 3').fill('2');
      await expect.poll(() => page.getByTestId('claim-total').textContent()).toBe('$192.00');
      // a diagnosis found in the ICD-10-CM ValueSet ($expand with a filter), looked up as billable
      await page.getByLabel('Add a diagnosis').fill('E11.9');
      await page.getByRole('button', { name: 'Find code' }).click();
      await page.getByRole('list', { name: 'ICD-10-CM codes found' }).getByRole('button', { name: /^Add E11\.9 / }).click();
      await page.getByRole('checkbox', { name: /E11\.9 Type 2 diabetes/ }).waitFor();
      expect(await page.getByRole('checkbox', { name: /E11\.9 Type 2 diabetes/ }).isChecked()).toBe(true);
      await page.getByRole('button', { name: 'Check claim' }).click();
      await page.getByText('No problems found: the claim is ready to submit.').waitFor();
      await expectAccessible(page, 'billing');
      await screenshot(page, 'billing');

      const before = [await claimsOf('Claim'), await claimsOf('ClaimResponse')];
      await page.getByRole('button', { name: 'Submit claim' }).click();
      await page.getByRole('heading', { name: "Payer's answer" }).waitFor();
      expect(await page.getByText('Processed: paid').count()).toBe(1);
      expect(await page.getByTestId('paid-amount').textContent()).toMatch(/^\$153\.60/);
      expect([await claimsOf('Claim'), await claimsOf('ClaimResponse')]).toEqual([before[0] + 1, before[1] + 1]);
      const stored = (await world.t.server.app.db.query<{ content: { total: { value: number }; item: unknown[]; diagnosis: unknown[] } }>(
        "SELECT content FROM resources WHERE resource_type = 'Claim' AND NOT deleted ORDER BY id DESC LIMIT 1",
      )).rows[0].content;
      expect(stored.total.value).toBe(192);
      expect(stored.item).toHaveLength(3);
      expect(stored.diagnosis.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(stored.diagnosis)).toContain('"E11.9"');
      // the encounter now reads as billed
      await expect.poll(() => encounter.locator('option:checked').textContent()).toMatch(/Office visit today · billed \(Paid\)/);

      // the list: totals by status agree with the database
      const paid = await count("SELECT count(*) AS n FROM resources WHERE resource_type = 'ClaimResponse' AND NOT deleted AND content->>'outcome' = 'complete'");
      const totals = page.getByRole('table', { name: 'Totals by status' });
      await expect.poll(() => totals.locator('tr[data-status="Paid"] td').first().textContent()).toBe(String(paid));
      const awaiting = (await claimsOf('Claim')) - (await claimsOf('ClaimResponse'));
      if (awaiting > 0) expect(await totals.locator('tr[data-status="Awaiting response"] td').first().textContent()).toBe(String(awaiting));
      await page.getByLabel('Show').selectOption('Paid');
      const rows = page.getByRole('table', { name: 'Claims list' }).locator('tbody tr');
      expect(await rows.count()).toBe(Math.min(paid, 100));
      await page.setViewportSize({ width: 768, height: 1024 });
      await screenshot(page, 'billing-768');
      await expectAccessible(page, 'billing-768');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log.join('\n')}`);
    }
  });

  it('refuses a claim without a price or without coverage, readably, and writes nothing', async () => {
    const { page } = await openBilling({ width: 768, height: 1024 }, 1);
    // a second patient: today's encounter is theirs and not billed
    const before = [await claimsOf('Claim'), await claimsOf('ClaimResponse')];
    await page.getByLabel('Procedure of item 1').selectOption('99214');
    await page.getByLabel('Unit price of item 1').fill('');
    await page.getByRole('button', { name: 'Check claim' }).click();
    await page.getByText('Item 1: enter a price.').waitFor();
    await page.getByRole('button', { name: 'Submit claim' }).click();
    const alert = page.locator('m-status').getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/The request was not accepted: Item 1 has no price/);
    await page.getByText('Item 1 price:').waitFor();
    await screenshot(page, 'billing-refused');

    await page.getByLabel('Unit price of item 1').fill('186');
    await page.getByLabel('Coverage').selectOption('');
    await page.getByRole('button', { name: 'Submit claim' }).click();
    await expect.poll(() => alert.textContent()).toMatch(/needs the patient's Coverage/);
    expect([await claimsOf('Claim'), await claimsOf('ClaimResponse')]).toEqual(before);
  });
});
