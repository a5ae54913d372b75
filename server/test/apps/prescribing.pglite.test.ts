// Prescribing: a doctor opens it from the launcher (EHR launch) for a patient with a penicillin
// allergy (written for the test). Composing amoxicillin (drug search through ValueSet/$expand) brings
// the critical allergy card (order-select); signing without a dose is refused with a readable message;
// signing is blocked while the critical card stands; overriding it with a reason lets the order be
// signed: the MedicationRequest is in the database (active, order) and the feedback AuditEvent names
// the override. Then a second order applies the card's suggestion (azithromycin in place of
// amoxicillin) and is signed. axe and screenshots at 1280 and 768 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AllergyIntolerance, MedicationRequest, Patient } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { adultPatient, appsWorld, consent, expectAccessible, launchFromLauncher, newPage, openLauncher, screenshot, type AppsWorld } from './browser.js';

let world: AppsWorld;
let patient: Patient;
let patientName: string;

beforeAll(async () => {
  world = await appsWorld({ patients: 3 });
  ({ patient, name: patientName } = await adultPatient(world));
  const allergy: AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    patient: { reference: `Patient/${patient.id}` },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '764146007', display: 'Penicillin' }], text: 'Penicillin' },
    criticality: 'high',
    recordedDate: '2020-05-04',
  };
  await world.t.server.app.repo.create(allergy);
}, 180_000);
afterAll(() => world?.close());

async function openPrescribing(page: Page): Promise<void> {
  await openLauncher(world, page, world.accounts.doctor);
  const names = await page.getByRole('list', { name: 'Patients found' }).locator('li strong').allTextContents();
  const index = names.findIndex((x) => x.trim() === patientName);
  expect(index, `${patientName} in ${names.join(', ')}`).toBeGreaterThanOrEqual(0);
  await launchFromLauncher(world, page, 'Prescribing', index);
  await page.waitForURL((u) => u.pathname.startsWith('/interaction/') || (u.pathname === '/apps/prescribing/' && !u.search), { timeout: 20_000 });
  await consent(page);
  await page.waitForURL(`${world.origin}/apps/prescribing/`, { timeout: 20_000 });
  await page.getByRole('region', { name: 'Patient' }).waitFor({ timeout: 20_000 });
}

async function chooseDrug(page: Page, query: string, name: RegExp): Promise<void> {
  await page.getByLabel('Search RxNorm clinical drugs').fill(query);
  await page.getByRole('button', { name: 'Find drug' }).click();
  await page.getByRole('list', { name: 'Drugs found' }).getByRole('button', { name }).click();
}

const orders = async (rxnorm: string) =>
  (await world.t.server.app.db.query<{ content: MedicationRequest }>(
    `SELECT content FROM resources WHERE resource_type = 'MedicationRequest' AND NOT deleted AND content->'subject'->>'reference' = $1 AND content->'medicationCodeableConcept'->'coding' @> $2::jsonb`,
    [`Patient/${patient.id}`, JSON.stringify([{ code: rxnorm }])],
  )).rows.map((r) => r.content);

async function feedbackEvents(outcome: string) {
  await world.t.server.app.audit.flush();
  const { rows } = await world.t.server.app.db.query<{ content: { entity: { detail: { type: string; valueString: string }[] }[] } }>(
    `SELECT content FROM resources WHERE resource_type = 'AuditEvent' AND content->'subtype' @> '[{"code":"feedback"}]' AND content->'entity' @> $1::jsonb`,
    [JSON.stringify([{ detail: [{ type: 'outcome', valueString: outcome }] }])],
  );
  return rows.map((r) => r.content);
}

/** Sign; when decision support shows something new at signing, the prescriber reviews it and signs again. */
async function sign(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign order' }).click();
  const signed = page.getByRole('list', { name: 'Orders signed' });
  const again = page.getByText('New decision support came up when signing');
  await expect.poll(async () => (await signed.count()) + (await again.count()), { timeout: 20_000 }).toBeGreaterThan(0);
  if (await again.count()) {
    await page.getByRole('button', { name: 'Sign order' }).click();
  }
}

describe('prescribing', () => {
  it('sign an order after a CDS warning: critical allergy card blocks, override with a reason, signed, feedback recorded; a missing dose is a readable error', async () => {
    const { page, log } = await newPage(world);
    await openPrescribing(page);
    // the patient's allergies are beside the order
    await page.getByRole('list', { name: 'Allergies' }).getByText('Penicillin').waitFor();

    await chooseDrug(page, 'amox', /amoxicillin 500 MG Oral Capsule/);
    const card = page.getByRole('article', { name: /^critical:/ });
    await card.waitFor({ timeout: 20_000 });
    expect(await card.textContent(), log.join('\n')).toMatch(/penicillin/i);
    // its SMART link to the chart
    expect(await card.getByRole('button', { name: 'Open the chart' }).count()).toBe(1);

    // the bad case: no dose
    await page.getByRole('button', { name: 'Sign order' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enter a dose (a number above zero) before signing.' }).waitFor();
    expect(await orders('308191')).toHaveLength(0);

    await page.getByLabel('Dose', { exact: true }).fill('1');
    await page.getByLabel('Times').fill('3');
    await page.getByLabel('Duration', { exact: true }).fill('7');
    await expect.poll(() => page.locator('.sig').textContent()).toContain('1 capsule oral, 3 times a day, for 7 days');

    // blocked while the critical card stands
    await page.getByRole('button', { name: 'Sign order' }).click();
    await page.getByRole('alert').filter({ hasText: /Signing is blocked/ }).waitFor({ timeout: 20_000 });
    expect(await orders('308191')).toHaveLength(0);

    await expectAccessible(page, 'prescribing');
    await screenshot(page, 'prescribing');

    // the card's SMART link opens the chart for the same patient (an EHR launch through POST /launch), in a new tab
    const [chart] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('article', { name: /^critical:/ }).getByRole('button', { name: 'Open the chart' }).click(),
    ]);
    await chart.waitForURL((u) => u.pathname.startsWith('/interaction/') || (u.pathname === '/apps/chart/' && !u.search), { timeout: 20_000 });
    await consent(chart);
    await chart.waitForURL(`${world.origin}/apps/chart/`, { timeout: 20_000 });
    const banner = chart.getByRole('region', { name: 'Patient' });
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toContain(patientName);
    await chart.getByRole('list', { name: 'Allergies' }).getByText('Penicillin').waitFor();
    await chart.close();

    // override with a reason, then sign
    const critical = page.getByRole('article', { name: /^critical:/ }).first();
    await critical.getByRole('button', { name: 'Override' }).click();
    const reason = critical.getByLabel('Reason');
    const firstReason = (await reason.locator('option').nth(1).getAttribute('value'))!;
    await reason.selectOption(firstReason);
    await critical.getByLabel('Comment').fill('Tolerated amoxicillin in 2024 without reaction');
    await critical.getByRole('button', { name: 'Confirm override' }).click();
    await page.getByRole('list', { name: 'Resolved warnings' }).getByText(/Overridden/).waitFor();
    await sign(page);
    await page.getByRole('list', { name: 'Orders signed' }).getByText(/amoxicillin 500 MG Oral Capsule/).waitFor({ timeout: 20_000 });
    await page.getByRole('status').filter({ hasText: /^Signed: amoxicillin 500 MG Oral Capsule \(MedicationRequest\// }).waitFor();

    const signed = await orders('308191');
    expect(signed).toHaveLength(1);
    expect(signed[0]).toMatchObject({ status: 'active', intent: 'order', requester: { reference: world.accounts.doctor.fhirUser } });
    expect(signed[0].dosageInstruction?.[0]).toMatchObject({
      doseAndRate: [{ doseQuantity: { value: 1, code: '{capsule}' } }],
      timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd', boundsDuration: { value: 7, code: 'd' } } },
    });
    const overridden = await feedbackEvents('overridden');
    expect(overridden.length).toBeGreaterThanOrEqual(1);
    const details = overridden.flatMap((e) => e.entity.flatMap((x) => x.detail));
    expect(details).toContainEqual(expect.objectContaining({ type: 'overrideReason', valueString: expect.stringContaining('https://meridian.dev/fhir/CodeSystem/cds-override-reason|') }));
    expect(details).toContainEqual({ type: 'userComment', valueString: 'Tolerated amoxicillin in 2024 without reaction' });

    // a second order: apply the card's suggestion (azithromycin instead), then sign
    await chooseDrug(page, 'amoxicillin', /amoxicillin 500 MG Oral Capsule/);
    const again = page.getByRole('article', { name: /^critical:/ }).first();
    await again.waitFor({ timeout: 20_000 });
    await again.getByRole('button', { name: /^Replace amoxicillin with azithromycin/ }).click();
    await page.locator('.chosen').getByText(/azithromycin/).waitFor();
    await page.getByLabel('Dose', { exact: true }).fill('1');
    await sign(page);
    await page.getByRole('list', { name: 'Orders signed' }).getByText(/azithromycin/).waitFor({ timeout: 20_000 });
    expect(await orders('308460')).toHaveLength(1);
    expect((await feedbackEvents('accepted')).length).toBeGreaterThanOrEqual(1);
    expect(await orders('308191')).toHaveLength(1); // the amoxicillin draft was never signed

    // a value the server refuses (frequency must be a whole number): its answer is shown as a sentence, nothing is signed
    await chooseDrug(page, 'atorvastatin', /atorvastatin 20 MG Oral Tablet/);
    await page.getByLabel('Dose', { exact: true }).fill('1');
    await page.getByLabel('Times').fill('1.5');
    await page.getByRole('alert').filter({ hasText: /^Decision support could not check the order: .*timing\.repeat\.frequency: Expected number to be an integer \(the field "Times"\)/ }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Sign order' }).click();
    await page.getByRole('alert').filter({ hasText: 'The order was not signed: decision support could not check it. Try again.' }).waitFor({ timeout: 20_000 });
    expect(await orders('617310')).toHaveLength(0);

    const tablet = await newPage(world, { width: 768, height: 1024 });
    await openPrescribing(tablet.page);
    await chooseDrug(tablet.page, 'amox', /amoxicillin 500 MG Oral Capsule/);
    await tablet.page.getByRole('article').first().waitFor({ timeout: 20_000 });
    await expectAccessible(tablet.page, 'prescribing-768');
    await screenshot(tablet.page, 'prescribing-768');
  }, 240_000);
});
