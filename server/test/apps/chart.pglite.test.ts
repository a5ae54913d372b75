// The clinician chart: a doctor opens it from the launcher (EHR launch); the banner shows the patient,
// the problem, medication and allergy lists are the patient's records, the trends are uPlot charts
// with data, recent results carry their interpretation, and the patient-view CDS card for raised blood
// pressure (readings written for the test) is shown; applying a suggestion writes its resource
// through the FHIR API and records the feedback. axe and screenshots at 1280 and 768 px.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation, Patient } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { adultPatient, appsWorld, consent, expectAccessible, launchFromLauncher, newPage, openLauncher, screenshot, type AppsWorld } from './browser.js';

let world: AppsWorld;
let patient: Patient;
let patientName: string;

const LOINC = 'http://loinc.org';
const bpPanel = (patientId: string, systolic: number, diastolic: number, daysAgo: number): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel with all children optional' }], text: 'Blood pressure' },
  subject: { reference: `Patient/${patientId}` },
  effectiveDateTime: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
});

/** What the database holds for the patient (not deleted), by type and the reference element. */
async function countOf(type: string, element: 'subject' | 'patient'): Promise<number> {
  const { rows } = await world.t.server.app.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM resources WHERE resource_type = $1 AND NOT deleted AND content->'${element}'->>'reference' = $2`,
    [type, `Patient/${patient.id}`],
  );
  return Number(rows[0].n);
}

beforeAll(async () => {
  world = await appsWorld({ patients: 3 });
  ({ patient, name: patientName } = await adultPatient(world));
  // raised blood pressure on the last three readings: the care-gaps service's BP card fires
  for (const [s, d, days] of [[168, 102, 2], [172, 98, 9], [165, 101, 20]]) await world.t.server.app.repo.create(bpPanel(patient.id!, s, d, days));
  // a high potassium, flagged H by the laboratory: the newest result, shown with its badge
  await world.t.server.app.repo.create({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: LOINC, code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma' }], text: 'Potassium [Moles/volume] in Serum or Plasma' },
    subject: { reference: `Patient/${patient.id}` },
    effectiveDateTime: new Date(Date.now() - 3_600_000).toISOString(),
    valueQuantity: { value: 6.1, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H', display: 'High' }] }],
    referenceRange: [{ low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5.1, unit: 'mmol/L' } }],
  } as Observation);
}, 180_000);
afterAll(() => world?.close());

/** From the launcher to the chart: the EHR launch goes through authorization, and consent when asked. */
async function openChart(page: Page, index: number): Promise<void> {
  await launchFromLauncher(world, page, 'Chart', index);
  await page.waitForURL((u) => u.pathname.startsWith('/interaction/') || (u.pathname === '/apps/chart/' && !u.search), { timeout: 20_000 });
  await consent(page);
  await page.waitForURL(`${world.origin}/apps/chart/`, { timeout: 20_000 });
}

describe('chart', () => {
  it('shows the patient, their lists, trends, flagged results and patient-view cards; applies a suggestion with feedback; accessible', async () => {
    const { page, log } = await newPage(world);
    await openLauncher(world, page, world.accounts.doctor);
    const names = await page.getByRole('list', { name: 'Patients found' }).locator('li strong').allTextContents();
    const index = names.findIndex((x) => x.trim() === patientName);
    expect(index, `${patientName} in ${names.join(', ')}`).toBeGreaterThanOrEqual(0);
    await openChart(page, index);

    const banner = page.getByRole('region', { name: 'Patient' });
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent(), log.join('\n')).toContain(patientName);

    // the lists are the patient's records
    const items = (name: string) => page.getByRole('list', { name, exact: true }).getByRole('listitem');
    const conditions = await countOf('Condition', 'subject');
    const medications = await countOf('MedicationRequest', 'subject');
    const allergies = await countOf('AllergyIntolerance', 'patient');
    expect(conditions + medications).toBeGreaterThan(0);
    if (conditions) expect(await items('Problems').count()).toBe(conditions);
    else await page.getByText('No problems recorded.').waitFor();
    if (medications) expect(await items('Medications').count()).toBe(Math.min(medications, 100));
    if (allergies) expect(await items('Allergies').count()).toBe(allergies);
    else await page.getByText('No known allergies recorded.').waitFor();

    // trends: uPlot canvases with data; the blood pressure chart has our three readings
    const charts = page.locator('m-trend-chart');
    await expect.poll(() => charts.count()).toBeGreaterThan(0);
    await page.locator('m-trend-chart canvas').first().waitFor();
    const drawn = await charts.evaluateAll((elements) =>
      (elements as unknown as { heading: string; series: { points: unknown[] }[]; shadowRoot: { querySelector(s: string): { width: number } | null } }[]).map((c) => ({
        heading: c.heading,
        points: c.series.reduce((n, s) => n + s.points.length, 0),
        canvas: c.shadowRoot.querySelector('canvas')?.width ?? 0,
      })),
    );
    const bp = drawn.find((c) => c.heading === 'Blood pressure');
    expect(bp, JSON.stringify(drawn)).toBeDefined();
    expect(bp!.points).toBeGreaterThanOrEqual(6);
    for (const c of drawn) expect(c.canvas, c.heading).toBeGreaterThan(0);

    // recent results carry their interpretation as badges
    const results = page.getByRole('table', { name: /Recent laboratory results/ });
    const flags = await results.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-flag')));
    expect(flags[0]).toBe('H'); // the newest: our potassium
    expect(flags.every((f) => f === '' || /^(N|H|L|HH|LL|A|AA)$/.test(f!))).toBe(true);
    const first = results.locator('tbody tr').first();
    expect(await first.textContent()).toContain('Potassium');
    expect(await first.locator('.badge').textContent()).toBe('H · High');

    // the patient-view card for the raised readings, with its SMART link to prescribing
    const bpCard = page.getByRole('article', { name: /BP (above target|in the stage 2 hypertension range)/ });
    await bpCard.waitFor({ timeout: 30_000 });
    expect(await bpCard.getByRole('button', { name: /prescribing/i }).count()).toBe(1);

    await expectAccessible(page, 'chart');
    await screenshot(page, 'chart');

    // a suggestion (an immunization or an HbA1c order) applied through the FHIR API, then feedback
    const withSuggestion = page.getByRole('article').filter({ has: page.getByRole('button', { name: /^(Order|Give|Record|Propose)/ }) }).first();
    if (await withSuggestion.count()) {
      const before = (await countOf('MedicationRequest', 'subject')) + (await countOf('ServiceRequest', 'subject'));
      await withSuggestion.getByRole('button', { name: /^(Order|Give|Record|Propose)/ }).first().click();
      await page.getByRole('status').filter({ hasText: /: done/ }).waitFor({ timeout: 20_000 });
      expect((await countOf('MedicationRequest', 'subject')) + (await countOf('ServiceRequest', 'subject'))).toBe(before + 1);
      await world.t.server.app.audit.flush();
      const { rows } = await world.t.server.app.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM resources WHERE resource_type = 'AuditEvent' AND content->'subtype' @> '[{"code":"feedback"}]' AND content->'entity' @> '[{"detail":[{"type":"outcome","valueString":"accepted"}]}]'`,
      );
      expect(Number(rows[0].n)).toBeGreaterThanOrEqual(1);
    }

    const tablet = await newPage(world, { width: 768, height: 1024 });
    // the tablet page is a fresh context: its own launch from the launcher
    await openLauncher(world, tablet.page, world.accounts.doctor);
    await openChart(tablet.page, index);
    await tablet.page.getByRole('region', { name: 'Patient' }).waitFor({ timeout: 20_000 });
    await tablet.page.locator('m-trend-chart canvas').first().waitFor();
    await tablet.page.getByRole('article').first().waitFor({ timeout: 30_000 });
    await expectAccessible(tablet.page, 'chart-768');
    await screenshot(tablet.page, 'chart-768');
  }, 180_000);
});
