// The patient portal: standalone launch as the patient; their record and results in plain words;
// requesting an appointment in a clinician's free slot and cancelling it (checked in the database);
// nothing of another patient's reaches them (the app shows only theirs, a direct read is 403).
import type { Appointment, Observation } from '@medplum/fhirtypes';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_LAB_NAMES } from '../../../smart-apps/portal/labels.js';
import { appsWorld, expectAccessible, newPage, screenshot, signIn, type AppsWorld } from './browser.js';

let world: AppsWorld;
let patientId: string;
let others: { id: string; family: string }[];

beforeAll(async () => {
  world = await appsWorld({ patients: 3 });
  const { app } = world.t.server;
  patientId = world.accounts.patient.fhirUser!.split('/')[1];
  others = (await app.db.query<{ id: string; family: string }>(
    "SELECT id, content->'name'->0->>'family' AS family FROM resources WHERE resource_type = 'Patient' AND NOT deleted AND id <> $1",
    [patientId],
  )).rows;
  // a recent HbA1c above the usual range, so the plain label and "High" are shown whatever the seed drew
  const hba1c: Observation = {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 7.4, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }],
    referenceRange: [{ low: { value: 4, unit: '%' }, high: { value: 5.6, unit: '%' } }],
  };
  await app.repo.create(hba1c);
});
afterAll(() => world?.close());

async function openPortal(viewport?: { width: number; height: number }): Promise<{ page: Page; log: string[] }> {
  const { page, log } = await newPage(world, viewport);
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${world.origin}/apps/portal/`);
  await signIn(page, world.accounts.patient);
  const allow = page.getByRole('button', { name: 'Allow' });
  await allow.or(page.getByRole('heading', { name: /^Hello,/ })).first().waitFor({ timeout: 30_000 });
  if (await allow.count()) await allow.click();
  await page.getByRole('heading', { name: /^Hello,/ }).waitFor({ timeout: 30_000 });
  return { page, log };
}

const appointmentsOf = async (patient: string) =>
  (await world.t.server.app.db.query<{ content: Appointment }>(
    "SELECT content FROM resources WHERE resource_type = 'Appointment' AND NOT deleted AND content->>'description' LIKE 'Requested online%' AND content::text LIKE $1",
    [`%Patient/${patient}%`],
  )).rows.map((r) => r.content);

describe('patient portal', () => {
  it('shows the patient their record and results in plain words', async () => {
    const { page, log } = await openPortal();
    try {
      const results = page.getByRole('table', { name: 'Latest test results' });
      const row = results.getByRole('row').filter({ hasText: PLAIN_LAB_NAMES['4548-4'] });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/Blood sugar \(HbA1c\).*7\.4 %.*4–5\.6 %.*High/s);
      // every result with a written plain name uses it (no raw LOINC display for those)
      expect(await results.getByText('Hemoglobin A1c/Hemoglobin.total in Blood').count()).toBe(0);
      await page.getByRole('heading', { name: 'Your details' }).waitFor();
      await page.getByRole('heading', { name: 'Your medications' }).waitFor();
      await page.getByRole('heading', { name: 'Allergies' }).waitFor();
      const allergies = Number((await world.t.server.app.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM resources WHERE resource_type = 'AllergyIntolerance' AND NOT deleted AND content->'patient'->>'reference' LIKE $1 AND content->'clinicalStatus'->'coding'->0->>'code' = 'active'",
        [`%Patient/${patientId}`],
      )).rows[0].n);
      if (!allergies) await page.getByText('No allergies are recorded.').waitFor();
      else expect(await page.getByRole('heading', { name: 'Allergies' }).locator('xpath=following-sibling::ul[1]/li').count()).toBe(allergies);
      const text = await page.locator('body').innerText();
      for (const o of others) expect(text).not.toContain(o.family);
      await expectAccessible(page, 'portal');
      await screenshot(page, 'portal');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log.join('\n')}`);
    }
  });

  it('requests an appointment in a free slot and cancels it', async () => {
    const { page, log } = await openPortal({ width: 768, height: 1024 });
    try {
      const clinician = page.getByLabel('Clinician');
      const first = await clinician.locator('option').nth(1).getAttribute('value');
      await clinician.selectOption(first!);
      const times = page.getByRole('group', { name: 'Free times' }).getByRole('radio');
      await times.first().waitFor();
      await times.first().check();
      await page.getByRole('button', { name: 'Request this time' }).click();
      await page.getByText(/^Requested: /).waitFor();
      const list = page.getByRole('list', { name: 'Upcoming appointments' });
      await list.getByText('Requested', { exact: true }).first().waitFor();
      let stored = await appointmentsOf(patientId);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ status: 'proposed', slot: [{ reference: expect.stringMatching(/^Slot\//) }] });
      expect(stored[0].participant.map((p) => p.actor?.reference)).toEqual([`Patient/${patientId}`, `Practitioner/${first}`]);
      // the slot itself is the clinic's: the patient's request does not touch it
      const slotId = stored[0].slot![0].reference!.split('/')[1];
      const slot = (await world.t.server.app.db.query<{ status: string }>("SELECT content->>'status' AS status FROM resources WHERE resource_type = 'Slot' AND id = $1", [slotId])).rows[0];
      expect(slot.status).toBe('free');
      await expectAccessible(page, 'portal-768');
      await screenshot(page, 'portal-768');

      const item = list.getByRole('listitem').filter({ hasText: 'Requested online' }).first();
      await item.getByRole('button', { name: /^Cancel the appointment/ }).click();
      await page.getByText(/^Cancelled: /).waitFor();
      await expect.poll(async () => (await appointmentsOf(patientId))[0].status).toBe('cancelled');
      stored = await appointmentsOf(patientId);
      expect(stored[0].cancelationReason?.coding?.[0]?.code).toBe('pat');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log.join('\n')}`);
    }
  });

  it("cannot reach another patient's record", async () => {
    const { page } = await openPortal();
    const other = others[0].id;
    const statuses = await page.evaluate(async ({ base, other }) => {
      const store = (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage;
      const key = JSON.parse(store.getItem('SMART_KEY')!);
      const token = JSON.parse(store.getItem(key)!).tokenResponse.access_token;
      const get = (path: string, init: Record<string, unknown> = {}) =>
        fetch(`${base}/${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, Accept: 'application/fhir+json', 'Content-Type': 'application/fhir+json' } }).then((r) => r.status);
      return {
        patient: await get(`Patient/${other}`),
        book: await get('Appointment', {
          method: 'POST',
          body: JSON.stringify({ resourceType: 'Appointment', status: 'proposed', participant: [{ actor: { reference: `Patient/${other}` }, status: 'accepted' }] }),
        }),
      };
    }, { base: world.fhirBase, other });
    expect(statuses).toEqual({ patient: 403, book: 403 });
  });
});
