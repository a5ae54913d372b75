// Scheduling: the receptionist opens it from the launcher for a patient (EHR launch); finds a
// cardiologist with a free slot and books it (Appointment booked and Slot busy, one transaction);
// moves it to another slot; a slot another desk takes while the booking is being confirmed fails
// cleanly (nothing written) and trying to double-book it shows the appointment-book CDS card; cancels
// (slot freed); marks a missed appointment as no-show. axe and screenshots at 1280 and 768.
// Requests: three patients ask for slots the way the portal does (a proposed Appointment naming a free
// Slot, the practitioner needs-action); the desk confirms one (booked + Slot busy, one transaction),
// declines one (cancelled with the reason, Slot untouched), and one whose slot another desk takes while
// it is being confirmed fails with a readable error, nothing written; the appointment-book card's
// suggestion then confirms it in the next free slot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Appointment, Patient, Practitioner, Schedule, Slot } from '@medplum/fhirtypes';
import { appsWorld, expectAccessible, launchFromLauncher, newPage, openLauncher, screenshot, type AppsWorld } from './browser.js';

let world: AppsWorld;

const db = () => world.t.server.app.db;
const read = async <T>(type: string, id: string) => (await world.t.server.app.repo.read(type, id)) as T;
async function appointmentsOf(patient: string): Promise<Appointment[]> {
  const { rows } = await db().query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Appointment' AND NOT deleted");
  const all = await Promise.all(rows.map((r) => read<Appointment>('Appointment', r.id)));
  return all.filter((a) => a.participant?.some((p) => p.actor?.reference === `Patient/${patient}`));
}
const slotId = (a: Appointment) => a.slot![0].reference!.split('/')[1];

/** Open Scheduling from the launcher as the receptionist. */
async function launchScheduling() {
  const { page, log } = await newPage(world);
  await openLauncher(world, page, world.accounts.receptionist);
  await launchFromLauncher(world, page, 'Scheduling');
  // the consent page may come after launchFromLauncher looked for it (the redirects are still going)
  const allow = page.getByRole('button', { name: 'Allow' });
  await Promise.race([allow.waitFor({ timeout: 20_000 }), page.getByRole('heading', { name: 'Find a practitioner' }).waitFor({ timeout: 20_000 })]).catch(() => undefined);
  if (await allow.isVisible()) await allow.click();
  await page.getByRole('heading', { name: 'Find a practitioner' }).waitFor({ timeout: 20_000 }).catch(async (e) => {
    await screenshot(page, 'scheduling-failed');
    throw new Error(`${e.message}\n${page.url()}\n${log.join('\n')}`);
  });
  return page;
}

/** For each patient a free future slot of a practitioner's schedule that none of the patient's appointments overlaps. */
async function requestableSlots(patients: string[]): Promise<{ patient: string; slot: Slot; practitioner: string; name: string }[]> {
  const after = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const { rows } = await db().query<{ id: string }>(
    "SELECT id FROM resources WHERE resource_type = 'Slot' AND NOT deleted AND content->>'status' = 'free' AND content->>'start' > $1 ORDER BY content->>'start' LIMIT 300",
    [after],
  );
  const slots = await Promise.all(rows.map((r) => read<Slot>('Slot', r.id)));
  const used = new Set<string>();
  const out: { patient: string; slot: Slot; practitioner: string; name: string }[] = [];
  for (const patient of patients) {
    const theirs = (await appointmentsOf(patient)).filter((a) => a.start && a.end);
    for (const slot of slots) {
      if (used.has(slot.id!) || theirs.some((a) => a.start! < slot.end && slot.start < a.end!)) continue;
      const schedule = await read<Schedule>('Schedule', slot.schedule.reference!.split('/')[1]);
      const practitioner = schedule.actor.find((r) => r.reference?.startsWith('Practitioner/'))?.reference;
      if (!practitioner) continue;
      const p = await read<Practitioner>('Practitioner', practitioner.split('/')[1]);
      used.add(slot.id!);
      out.push({ patient, slot, practitioner, name: `${p.name?.[0]?.given?.join(' ') ?? ''} ${p.name?.[0]?.family ?? ''}`.trim() });
      break;
    }
  }
  return out;
}

beforeAll(async () => {
  world = await appsWorld({ patients: 3 });
  const { repo, auth } = world.t.server.app;
  // the front desk is a Practitioner in FHIR terms: CDS Hooks needs the user's reference (userId)
  const desk = (await repo.create({ resourceType: 'Practitioner', name: [{ family: 'Desk', given: ['Front'] }] })).resource.id!;
  const account = (await auth.accounts.findByUsername('reception'))!;
  await auth.accounts.remove(account.id);
  await auth.accounts.create({ ...world.accounts.receptionist, fhirUser: `Practitioner/${desk}`, displayName: 'Test receptionist' });
  // a booked appointment yesterday for every patient (the one launched for misses it)
  const practitioner = (await db().query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Practitioner' AND NOT deleted ORDER BY id LIMIT 1")).rows[0].id;
  const patients = (await db().query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Patient' AND NOT deleted")).rows;
  const y = new Date(Date.now() - 86_400_000);
  y.setUTCHours(10, 0, 0, 0);
  for (const p of patients) {
    await repo.create({
      resourceType: 'Appointment', status: 'booked', description: 'Review (missed)', start: y.toISOString(), end: new Date(y.getTime() + 1_800_000).toISOString(),
      participant: [{ actor: { reference: `Patient/${p.id}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${practitioner}` }, status: 'accepted' }],
    });
  }
}, 120_000);
afterAll(() => world?.close());

describe('scheduling', () => {
  it('finds a practitioner by specialty, books, moves, refuses a taken slot, shows the double-booking card, cancels, marks a no-show', async () => {
    const page = await launchScheduling();

    // provider matching: cardiology, the soonest free slot
    await page.getByLabel('Specialty').selectOption({ label: 'Cardiology' });
    await page.getByRole('button', { name: 'Find free slots' }).click();
    const found = page.getByRole('list', { name: 'Practitioners found' }).getByRole('listitem');
    await found.first().waitFor();
    const firstSlot = found.first().locator('button[data-slot]').first();
    const booked = (await firstSlot.getAttribute('data-slot'))!;
    await firstSlot.click();
    await page.getByRole('heading', { name: 'Confirm the booking' }).waitFor();
    await page.getByText('Decision support found no conflict.').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await page.getByText(/^Booked /).waitFor();
    const slot = await read<Slot>('Slot', booked);
    expect(slot.status).toBe('busy');
    const { rows } = await db().query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Appointment' AND NOT deleted");
    const all = await Promise.all(rows.map((r) => read<Appointment>('Appointment', r.id)));
    const mine = all.filter((a) => a.slot?.some((s) => s.reference === `Slot/${booked}`));
    expect(mine).toHaveLength(1);
    const appointment = mine[0];
    expect(appointment.status).toBe('booked');
    expect(appointment.start).toBe(slot.start);
    const patientId = appointment.participant!.find((p) => p.actor?.reference?.startsWith('Patient/'))!.actor!.reference!.split('/')[1];
    expect(appointment.participant!.map((p) => p.actor?.reference?.split('/')[0]).sort()).toEqual(expect.arrayContaining(['Patient', 'Practitioner']));

    // reschedule: the calendar of the practitioner, another free slot
    const item = page.locator(`li[data-appointment="${appointment.id}"]`);
    await item.getByRole('button', { name: /^Reschedule/ }).click();
    const calendar = page.locator('m-schedule-calendar');
    await calendar.waitFor();
    let free = calendar.locator('button.cell.free');
    for (let i = 0; i < 4 && (await free.count()) === 0; i++) {
      await page.getByRole('button', { name: 'Next week' }).click();
      await page.waitForTimeout(300);
    }
    const target = (await free.first().getAttribute('data-slot'))!;
    await free.first().click();
    await page.getByRole('heading', { name: 'Confirm the move' }).waitFor();
    await page.getByRole('button', { name: 'Confirm move' }).click();
    await page.getByText(/^Moved to /).waitFor();
    const moved = await read<Appointment>('Appointment', appointment.id!);
    expect(slotId(moved)).toBe(target);
    expect(moved.status).toBe('booked');
    expect((await read<Slot>('Slot', booked)).status).toBe('free');
    expect((await read<Slot>('Slot', target)).status).toBe('busy');

    // another desk takes a slot while this one confirms it: a readable error, nothing written
    free = calendar.locator('button.cell.free');
    const contested = (await free.first().getAttribute('data-slot'))!;
    await free.first().click();
    await page.getByRole('heading', { name: 'Confirm the booking' }).waitFor();
    await page.getByRole('button', { name: 'Confirm booking' }).and(page.locator(':enabled')).waitFor({ timeout: 15_000 });
    const { repo } = world.t.server.app;
    const other = (await db().query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Patient' AND NOT deleted AND id <> $1 LIMIT 1", [patientId])).rows[0].id;
    const taken = await read<Slot>('Slot', contested);
    const practitionerRef = moved.participant!.find((p) => p.actor?.reference?.startsWith('Practitioner/'))!.actor!.reference!;
    await repo.create({ resourceType: 'Appointment', status: 'booked', start: taken.start, end: taken.end, slot: [{ reference: `Slot/${contested}` }], participant: [{ actor: { reference: `Patient/${other}`, display: 'Other Patient' }, status: 'accepted' }, { actor: { reference: practitionerRef }, status: 'accepted' }] });
    await repo.update('Slot', contested, { ...taken, status: 'busy' });
    const before = (await appointmentsOf(patientId)).length;
    await page.getByRole('button', { name: 'Confirm booking' }).click();
    await page.getByRole('alert').filter({ hasText: 'taken or changed by someone else' }).waitFor();
    expect(await appointmentsOf(patientId)).toHaveLength(before);
    expect((await read<Slot>('Slot', contested)).meta?.versionId).toBe(String(Number(taken.meta!.versionId) + 1));

    // the calendar now shows it taken; double-booking it shows the appointment-book card
    await expect.poll(() => page.locator(`button[data-slot="${contested}"]`).count()).toBe(1); // gone from the next free slots
    await calendar.locator(`button.cell.busy[data-slot="${contested}"]`).click();
    await page.getByText(/is already booked at/).first().waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Confirm booking' }).isDisabled()).toBe(true);
    await expectAccessible(page, 'scheduling');
    await screenshot(page, 'scheduling');
    // the card's suggestion moves the proposal to the next free slot, which has no conflict
    await page.getByRole('button', { name: /^Book the next free slot instead/ }).click();
    await page.getByText('Decision support found no conflict.').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Confirm booking' }).isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Back' }).click();
    // the day view of the same calendar
    await page.getByRole('button', { name: 'Day', exact: true }).click();
    await expect.poll(() => calendar.locator('section.day').count()).toBe(1);
    await page.getByRole('button', { name: 'Week', exact: true }).click();

    // cancel: status cancelled, the slot free again
    await item.getByRole('button', { name: /^Cancel the appointment/ }).click();
    await item.getByLabel('Reason').selectOption({ label: 'Patient' });
    await item.getByRole('button', { name: 'Confirm cancellation' }).click();
    await page.getByText(/^Cancelled the appointment/).waitFor();
    const cancelled = await read<Appointment>('Appointment', appointment.id!);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelationReason?.coding?.[0]?.code).toBe('pat');
    expect((await read<Slot>('Slot', target)).status).toBe('free');

    // no-show: yesterday's appointment, never attended
    const missed = (await appointmentsOf(patientId)).find((a) => a.description === 'Review (missed)')!;
    await page.locator(`li[data-appointment="${missed.id}"]`).getByRole('button', { name: /no-show/ }).click();
    await page.getByText(/as a no-show/).waitFor();
    expect((await read<Appointment>('Appointment', missed.id!)).status).toBe('noshow');

    await page.setViewportSize({ width: 768, height: 1024 });
    await expectAccessible(page, 'scheduling-768');
    await screenshot(page, 'scheduling-768');
  }, 180_000);

  it("confirms a patient's request from the portal (booked, slot busy), declines one (slot untouched), refuses one whose slot was taken meanwhile, then confirms it in the next free slot", async () => {
    const { repo } = world.t.server.app;
    const patients = (await db().query<{ id: string }>("SELECT id FROM resources WHERE resource_type = 'Patient' AND NOT deleted ORDER BY id")).rows.map((r) => r.id);
    const picks = await requestableSlots(patients);
    expect(picks).toHaveLength(3);
    // what the portal writes with the patient's own token: a proposed Appointment naming the Slot
    const requests: Appointment[] = [];
    for (const { patient, slot, practitioner, name } of picks) {
      const p = await read<Patient>('Patient', patient);
      const created = await repo.create({
        resourceType: 'Appointment',
        status: 'proposed',
        ...(slot.serviceCategory ? { serviceCategory: slot.serviceCategory } : {}),
        ...(slot.specialty ? { specialty: slot.specialty } : {}),
        ...(slot.appointmentType ? { appointmentType: slot.appointmentType } : {}),
        description: `Requested online by the patient with ${name}`,
        start: slot.start,
        end: slot.end,
        slot: [{ reference: `Slot/${slot.id}` }],
        created: new Date().toISOString().slice(0, 10),
        participant: [
          { actor: { reference: `Patient/${patient}`, display: `${p.name?.[0]?.given?.[0] ?? ''} ${p.name?.[0]?.family ?? ''}`.trim() }, required: 'required', status: 'accepted' },
          { actor: { reference: practitioner, display: name }, required: 'required', status: 'needs-action' },
        ],
      } as Appointment);
      requests.push(created.resource as Appointment);
    }
    const [toConfirm, toDecline, toLose] = requests;
    const [slotConfirm, slotDecline, slotLose] = picks.map((x) => x.slot);

    const page = await launchScheduling();
    const list = page.getByRole('list', { name: 'Appointment requests' });
    for (const r of requests) await list.locator(`li[data-request="${r.id}"]`).waitFor();
    await expectAccessible(page, 'scheduling-requests');
    await screenshot(page, 'scheduling-requests');

    // confirm: the appointment-book review, then one transaction
    const itemConfirm = list.locator(`li[data-request="${toConfirm.id}"]`);
    await itemConfirm.getByRole('button', { name: /^Confirm the request of/ }).click();
    await page.getByRole('heading', { name: 'Confirm the request' }).waitFor();
    await page.getByText('Decision support found no conflict.').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Confirm request', exact: true }).click();
    await page.getByText(/^Confirmed the request of /).waitFor();
    const booked = await read<Appointment>('Appointment', toConfirm.id!);
    expect(booked.status).toBe('booked');
    expect(booked.participant!.find((p) => p.actor?.reference?.startsWith('Practitioner/'))!.status).toBe('accepted');
    expect(slotId(booked)).toBe(slotConfirm.id);
    expect((await read<Slot>('Slot', slotConfirm.id!)).status).toBe('busy');
    await expect.poll(() => itemConfirm.count()).toBe(0);

    // decline: cancelled with the reason the patient will read; the slot is not touched
    const itemDecline = list.locator(`li[data-request="${toDecline.id}"]`);
    await itemDecline.getByRole('button', { name: /^Decline the request of/ }).click();
    await itemDecline.getByLabel('Reason for declining').fill('The doctor is away that day; please choose another time.');
    await itemDecline.getByRole('button', { name: 'Decline request' }).click();
    await page.getByText(/^Declined the request of /).waitFor();
    const declined = await read<Appointment>('Appointment', toDecline.id!);
    expect(declined.status).toBe('cancelled');
    expect(declined.cancelationReason?.text).toBe('The doctor is away that day; please choose another time.');
    const untouched = await read<Slot>('Slot', slotDecline.id!);
    expect(untouched.status).toBe('free');
    expect(untouched.meta?.versionId).toBe(slotDecline.meta?.versionId);
    await expect.poll(() => itemDecline.count()).toBe(0);

    // another desk books the requested slot while this one confirms: a readable error, nothing written
    const itemLose = list.locator(`li[data-request="${toLose.id}"]`);
    await itemLose.getByRole('button', { name: /^Confirm the request of/ }).click();
    await page.getByRole('heading', { name: 'Confirm the request' }).waitFor();
    await page.getByRole('button', { name: 'Confirm request', exact: true }).and(page.locator(':enabled')).waitFor({ timeout: 15_000 });
    const taken = await read<Slot>('Slot', slotLose.id!);
    await repo.update('Slot', slotLose.id!, { ...taken, status: 'busy' });
    await page.getByRole('button', { name: 'Confirm request', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'the slot was taken' }).waitFor();
    const still = await read<Appointment>('Appointment', toLose.id!);
    expect(still.status).toBe('proposed');
    expect(still.meta?.versionId).toBe(toLose.meta?.versionId);
    expect((await read<Slot>('Slot', slotLose.id!)).meta?.versionId).toBe(String(Number(taken.meta!.versionId) + 1));
    // the request stays open; reviewing it again says the slot is taken and confirming is not offered
    await itemLose.getByRole('button', { name: /^Confirm the request of/ }).click();
    await page.getByText('This slot has been taken since the patient asked for it').waitFor().catch(async (e) => {
      await screenshot(page, 'scheduling-requests-failed');
      throw e;
    });
    expect(await page.getByRole('button', { name: 'Confirm request', exact: true }).isDisabled()).toBe(true);
    await expect.poll(() => page.getByText('Checking with decision support…').count(), { timeout: 15_000 }).toBe(0);
    await page.setViewportSize({ width: 768, height: 1024 });
    await expectAccessible(page, 'scheduling-requests-768');
    await screenshot(page, 'scheduling-requests-768');
    // the card's suggestion offers the next free slot: the request is confirmed there instead
    await page.getByRole('button', { name: /^Book the next free slot instead/ }).click();
    await page.getByRole('term').filter({ hasText: 'Requested' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Confirm request', exact: true }).and(page.locator(':enabled')).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Confirm request', exact: true }).click();
    await page.getByText(/^Confirmed the request of /).waitFor();
    const elsewhere = await read<Appointment>('Appointment', toLose.id!);
    expect(elsewhere.status).toBe('booked');
    expect(slotId(elsewhere)).not.toBe(slotLose.id);
    const other = await read<Slot>('Slot', slotId(elsewhere));
    expect(other.status).toBe('busy');
    expect(elsewhere.start).toBe(other.start);
    await expect.poll(() => itemLose.count()).toBe(0);
  }, 180_000);
});
