// The appointment-book CDS service against a real Meridian as its FHIR server: a practitioner with a
// Schedule and Slots on one clinic day, appointments of the practitioner and of the patient, and
// proposals that trigger, and do not trigger, each rule of server/src/cds/rules/scheduling.json.
import type { Appointment, Bundle, Patient, Practitioner, Schedule, Slot } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFhirReader } from '../src/cds/fhir-reader.js';
import { appointmentBook, loadSchedulingRules } from '../src/cds/services/appointment-book.js';
import type { CdsInput, CdsServiceResult, FhirReader } from '../src/cds/types.js';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';
import { storeSeedPopulation } from './seed-population.js';

const rules = loadSchedulingRules();
const NOW = new Date('2030-03-01T12:00:00Z');
const MON = '2030-03-04';
const TUE = '2030-03-05';
const at = (day: string, hhmm: string) => `${day}T${hhmm}:00-05:00`;

let t: TestServer;
let fhir: FhirReader;
const ids: Record<string, string> = {};

const post = async (type: string, body: Record<string, unknown>): Promise<string> => {
  const res = await t.http.post(`/fhir/${type}`).set('Content-Type', FHIR_JSON).send({ resourceType: type, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};

const appointment = (o: { patient: string; practitioner: string; day: string; from: string; to: string; status?: string; slot?: string; patientStatus?: string }) => ({
  status: o.status ?? 'booked',
  start: at(o.day, o.from),
  end: at(o.day, o.to),
  ...(o.slot ? { slot: [{ reference: `Slot/${ids[o.slot]}` }] } : {}),
  participant: [
    { actor: { reference: `Patient/${ids[o.patient]}` }, status: o.patientStatus ?? 'accepted' },
    { actor: { reference: `Practitioner/${ids[o.practitioner]}` }, status: 'accepted' },
  ],
});

beforeAll(async () => {
  t = await testServer();
  fhir = httpFhirReader(`${t.server.url}/fhir`);
  ids.drA = await post('Practitioner', { name: [{ prefix: ['Dr'], given: ['Ada'], family: 'Okafor' }] });
  ids.drB = await post('Practitioner', { name: [{ prefix: ['Dr'], given: ['Ben'], family: 'Hale' }] }); // a hospitalist: no Schedule
  ids.drC = await post('Practitioner', { name: [{ prefix: ['Dr'], given: ['Cleo'], family: 'Marsh' }] });
  ids.P = await post('Patient', { name: [{ given: ['Pat'], family: 'Lee' }] });
  ids.Q = await post('Patient', { name: [{ given: ['Quinn'], family: 'Roe' }] });
  ids.schedA = await post('Schedule', {
    active: true,
    actor: [{ reference: `Practitioner/${ids.drA}` }],
    planningHorizon: { start: at(MON, '00:00'), end: at('2030-03-09', '00:00') },
    comment: 'Dr Ada Okafor: clinic on MO, TU, 30-minute appointments',
  });
  ids.schedC = await post('Schedule', { active: true, actor: [{ reference: `Practitioner/${ids.drC}` }], planningHorizon: { start: at(MON, '00:00'), end: at('2030-03-09', '00:00') } });
  const slot = (name: string, schedule: string, day: string, from: string, to: string, status: Slot['status']) =>
    post('Slot', { schedule: { reference: `Schedule/${ids[schedule]}` }, status, start: at(day, from), end: at(day, to) }).then((id) => (ids[name] = id));
  // Monday: 09:00-12:00 and 13:00-15:00 in 30-minute slots; Tuesday 09:00
  await slot('S0900', 'schedA', MON, '09:00', '09:30', 'busy');
  await slot('S0930', 'schedA', MON, '09:30', '10:00', 'free');
  await slot('S1000', 'schedA', MON, '10:00', '10:30', 'busy-unavailable');
  await slot('S1030', 'schedA', MON, '10:30', '11:00', 'free');
  await slot('S1100', 'schedA', MON, '11:00', '11:30', 'free');
  await slot('S1130', 'schedA', MON, '11:30', '12:00', 'free');
  await slot('S1300', 'schedA', MON, '13:00', '13:30', 'free');
  await slot('S1330', 'schedA', MON, '13:30', '14:00', 'free');
  await slot('S1400', 'schedA', MON, '14:00', '14:30', 'free');
  await slot('S1430', 'schedA', MON, '14:30', '15:00', 'free');
  await slot('STue0900', 'schedA', TUE, '09:00', '09:30', 'free');
  await slot('SC0930', 'schedC', MON, '09:30', '10:00', 'free');
  // Dr Okafor's book: Q at 09:00 on its Slot; Q at 13:30 with no Slot (the Slot still says free); a cancelled one at 11:00
  ids.X1 = await post('Appointment', appointment({ patient: 'Q', practitioner: 'drA', day: MON, from: '09:00', to: '09:30', slot: 'S0900' }));
  ids.X3 = await post('Appointment', appointment({ patient: 'Q', practitioner: 'drA', day: MON, from: '13:30', to: '14:00' }));
  ids.X4 = await post('Appointment', appointment({ patient: 'Q', practitioner: 'drA', day: MON, from: '11:00', to: '11:30', slot: 'S1100', status: 'cancelled' }));
  // P's own appointments with Dr Hale: 14:00-15:00 booked, 12:00-13:00 booked, and one P declined on Tuesday 09:00
  ids.Y1 = await post('Appointment', appointment({ patient: 'P', practitioner: 'drB', day: MON, from: '14:00', to: '15:00' }));
  ids.Y2 = await post('Appointment', appointment({ patient: 'P', practitioner: 'drB', day: MON, from: '12:00', to: '13:00' }));
  ids.Y3 = await post('Appointment', appointment({ patient: 'P', practitioner: 'drB', day: TUE, from: '09:00', to: '09:30', patientStatus: 'declined' }));
}, 60_000);
afterAll(() => t?.close());

/** Runs the service on proposals of patient P (status proposed, ids the client gave them). */
async function book(...proposals: Parameters<typeof appointment>[0][]): Promise<CdsServiceResult> {
  return bookWith(false, ...proposals);
}
async function bookWith(withPatient: boolean, ...proposals: Parameters<typeof appointment>[0][]): Promise<CdsServiceResult> {
  const bundle: Bundle<Appointment> = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: proposals.map((p, n) => ({ resource: { resourceType: 'Appointment', id: `proposed-${n + 1}`, ...appointment(p), status: 'proposed' } as Appointment })),
  };
  const input: CdsInput = {
    request: { hook: 'appointment-book', hookInstance: crypto.randomUUID(), context: { userId: `Practitioner/${ids.drA}`, patientId: ids.P, appointments: bundle } },
    prefetch: { patient: withPatient ? ((await t.http.get(`/fhir/Patient/${ids.P}`)).body as Patient) : null },
    fhir,
    now: NOW,
  };
  const result = await appointmentBook.run(input);
  for (const card of result.cards) {
    expect(card.summary.length).toBeLessThanOrEqual(140);
    expect(card.source.label).toBe('Meridian scheduling rules');
    expect(card.source.topic?.system).toBe('urn:meridian:cds-rule');
    expect(result.fired.map((f) => f.rule)).toContain(card.source.topic?.code);
    for (const reason of card.overrideReasons ?? []) expect(reason.system).toBe('https://meridian.dev/fhir/CodeSystem/cds-override-reason');
    if (card.suggestions?.length) expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.links).toBeUndefined(); // run directly, without the router's appsUrl: no app links
  }
  for (const f of result.fired) expect(f.version).toBe(rules.version);
  return result;
}

const ruleIds = (r: CdsServiceResult) => r.fired.map((f) => f.rule).sort();
const moved = (r: CdsServiceResult, n = 0) => r.cards[n].suggestions?.find((s) => s.actions?.[0]?.type === 'update')?.actions?.[0]?.resource as Appointment | undefined;

async function expectFreeSlot(a: Appointment | undefined, slotName: string) {
  expect(a).toBeDefined();
  expect(a!.slot).toEqual([{ reference: `Slot/${ids[slotName]}` }]);
  const res = await t.http.get(`/fhir/Slot/${ids[slotName]}`);
  expect(res.body.status).toBe('free');
  expect(a!.start).toBe(res.body.start);
  expect(a!.end).toBe(res.body.end);
  expect(a!.id).toBe('proposed-1');
  expect(a!.status).toBe('proposed');
}

describe('rules data', () => {
  it('is versioned, states its sources, and every rule names defined override reasons', () => {
    expect(rules.version).toMatch(/\d/);
    expect(rules.sources.length).toBeGreaterThan(0);
    expect(rules.rules.map((r) => r.id).sort()).toEqual([
      'scheduling/no-schedule', 'scheduling/outside-slots', 'scheduling/patient-overlap', 'scheduling/practitioner-double-booking', 'scheduling/slot-unavailable',
    ]);
    expect(rules.overrideReasons.map((r) => r.code)).toEqual(expect.arrayContaining(['double-booking-intended', 'urgent']));
  });

  it('is refused at load when it names a status that FHIR does not have, or an undefined override reason', () => {
    const text = readFileSync(new URL('../src/cds/rules/scheduling.json', import.meta.url), 'utf8');
    const broken = JSON.parse(text);
    broken.settings.inactiveAppointmentStatuses.push('canceled');
    broken.rules[0].overrideReasons.push('because');
    expect(() => loadSchedulingRules(JSON.stringify(broken))).toThrow(/canceled is not a code of http:\/\/hl7.org\/fhir\/appointmentstatus/);
    expect(() => loadSchedulingRules(JSON.stringify(broken))).toThrow(/unknown override reason because/);
  });

  it('describes the service for discovery', () => {
    expect(appointmentBook).toMatchObject({ id: 'appointment-book', hook: 'appointment-book' });
    expect(appointmentBook.prefetch).toEqual({ patient: 'Patient/{{context.patientId}}' });
  });
});

describe('practitioner double-booking', () => {
  it('fires on an overlapping booked appointment, names it, and suggests the next free slot that is really free', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '09:00', to: '09:30' });
    expect(ruleIds(r)).toEqual(['scheduling/practitioner-double-booking']);
    const card = r.cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('Dr Ada Okafor is already booked at 2030-03-04 09:00–09:30 (-05:00)');
    expect(card.detail).toContain('2030-03-04 09:00–09:30 (-05:00)');
    expect(card.detail).toContain('Dr Ada Okafor');
    expect(card.detail).toContain('*booked*');
    expect(card.detail).toContain(`Appointment/${ids.X1}`);
    expect(card.overrideReasons?.map((c) => c.code)).toContain('double-booking-intended');
    expect(r.fired[0].why).toContain(`Appointment/${ids.X1}`);
    expect(r.fired[0].why).toContain(`Practitioner/${ids.drA}`);
    // 09:30 is the next free Slot, and nobody holds it
    await expectFreeSlot(moved(r), 'S0930');
    expect(card.suggestions?.[0].isRecommended).toBe(true);
    expect(card.suggestions?.find((s) => s.actions?.[0]?.type === 'delete')?.actions?.[0]?.resourceId).toEqual(['Appointment/proposed-1']);
  });

  it('reads a PractitionerRole participant as its practitioner', async () => {
    const role = await post('PractitionerRole', { practitioner: { reference: `Practitioner/${ids.drA}` } });
    const proposal = { resourceType: 'Appointment', id: 'proposed-role', status: 'proposed', start: at(MON, '09:00'), end: at(MON, '09:30'),
      participant: [{ actor: { reference: `Patient/${ids.P}` }, status: 'accepted' }, { actor: { reference: `PractitionerRole/${role}` }, status: 'accepted' }] } as Appointment;
    const r = await appointmentBook.run({
      request: { hook: 'appointment-book', hookInstance: crypto.randomUUID(), context: { userId: `Practitioner/${ids.drA}`, patientId: ids.P, appointments: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: proposal }] } } },
      prefetch: { patient: null },
      fhir,
      now: NOW,
    });
    expect(ruleIds(r)).toEqual(['scheduling/practitioner-double-booking']);
  });

  it('does not fire on touching times (one ends when the other starts)', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '09:30', to: '10:00', slot: 'S0930' });
    expect(r.fired).toEqual([]);
    expect(r.cards).toEqual([]);
  });

  it('does not count a cancelled appointment at the same time', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '11:00', to: '11:30', slot: 'S1100' });
    expect(r.fired).toEqual([]);
  });

  it('sees an appointment that holds no Slot, and skips a free Slot it overlaps when suggesting', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '13:15', to: '13:45' });
    expect(ruleIds(r)).toEqual(['scheduling/practitioner-double-booking']);
    expect(r.cards[0].detail).toContain(`Appointment/${ids.X3}`);
    // 13:30 is "free" but X3 holds that time: the suggestion is 14:00... where P is with Dr Hale until 15:00, so Tuesday 09:00
    const a = moved(r);
    expect(a?.start).toBe(at(TUE, '09:00'));
    expect(a?.slot).toEqual([{ reference: `Slot/${ids.STue0900}` }]);
  });

  it('counts two proposals of the same request for the same practitioner and patient as the patient overlapping', async () => {
    const r = await book(
      { patient: 'P', practitioner: 'drA', day: MON, from: '10:30', to: '11:00', slot: 'S1030' },
      { patient: 'P', practitioner: 'drA', day: MON, from: '10:45', to: '11:15' },
    );
    expect(ruleIds(r)).toEqual(['scheduling/patient-overlap', 'scheduling/patient-overlap']);
    expect(r.cards[0].detail).toContain('another proposed appointment');
  });
});

describe('patient overlapping appointments', () => {
  it("fires on the patient's own overlapping appointment with another practitioner", async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '14:30', to: '15:00', slot: 'S1430' });
    expect(ruleIds(r)).toEqual(['scheduling/patient-overlap']);
    const card = r.cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('The patient already has an appointment at 2030-03-04 14:30–15:00 (-05:00)');
    expect(card.detail).toContain('2030-03-04 14:00–15:00 (-05:00)');
    // with the prefetched Patient, the card names them
    const named = await bookWith(true, { patient: 'P', practitioner: 'drA', day: MON, from: '14:30', to: '15:00', slot: 'S1430' });
    expect(named.cards[0].summary).toBe('Pat Lee already has an appointment at 2030-03-04 14:30–15:00 (-05:00)');
    expect(card.detail).toContain('Dr Ben Hale');
    expect(card.detail).toContain(`Appointment/${ids.Y1}`);
    expect(r.fired[0].why).toContain(`Patient/${ids.P}`);
    // the next free slot after 14:30 that the patient can make: Tuesday 09:00 (P declined the other one then)
    const a = moved(r);
    expect(a?.start).toBe(at(TUE, '09:00'));
  });

  it('does not fire on touching times, nor on an appointment the patient declined', async () => {
    expect((await book({ patient: 'P', practitioner: 'drA', day: MON, from: '11:30', to: '12:00', slot: 'S1130' })).fired).toEqual([]);
    expect((await book({ patient: 'P', practitioner: 'drA', day: TUE, from: '09:00', to: '09:30', slot: 'STue0900' })).fired).toEqual([]);
  });
});

describe("outside the practitioner's schedule", () => {
  it('fires (info) for a practitioner with no Schedule, with no slot to suggest', async () => {
    const r = await book({ patient: 'P', practitioner: 'drB', day: TUE, from: '10:00', to: '10:30' });
    expect(ruleIds(r)).toEqual(['scheduling/no-schedule']);
    expect(r.cards[0].indicator).toBe('info');
    expect(r.cards[0].summary).toBe('Dr Ben Hale has no schedule covering 2030-03-05 10:00–10:30 (-05:00)');
    expect(r.cards[0].suggestions?.some((s) => s.actions?.[0]?.type === 'update')).toBe(false);
  });

  it("fires when the time is beyond the Schedule's planning horizon", async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: '2030-03-11', from: '09:00', to: '09:30' });
    expect(ruleIds(r)).toEqual(['scheduling/no-schedule']);
    expect(r.cards[0].detail).toContain(`Schedule/${ids.schedA}`);
  });

  it('fires (info) between sessions, where there is no Slot, and suggests the next free one', async () => {
    const r = await book({ patient: 'Q', practitioner: 'drA', day: MON, from: '12:15', to: '12:45' });
    // (P is the context patient and has Y2 12:00-13:00 too)
    expect(ruleIds(r)).toEqual(['scheduling/outside-slots', 'scheduling/patient-overlap']);
    const card = r.cards.find((c) => c.summary.includes('outside the bookable slots'))!;
    expect(card.indicator).toBe('info');
    expect(card.summary).toBe('2030-03-04 12:15–12:45 (-05:00) is outside the bookable slots of Dr Ada Okafor');
  });

  it('fires (warning) on blocked time', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '10:00', to: '10:30' });
    expect(ruleIds(r)).toEqual(['scheduling/outside-slots']);
    expect(r.cards[0].indicator).toBe('warning');
    expect(r.cards[0].detail).toContain(`Slot/${ids.S1000}`);
    await expectFreeSlot(moved(r), 'S1030');
  });

  it('does not fire inside the bookable slots, across two back-to-back ones', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '10:30', to: '11:30' });
    expect(r.fired).toEqual([]);
  });

  it('fires on a referenced Slot that is not free, not of the practitioner, or at another time', async () => {
    const blocked = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '10:00', to: '10:30', slot: 'S1000' });
    expect(ruleIds(blocked)).toEqual(['scheduling/slot-unavailable']);
    expect(blocked.cards[0].detail).toContain('*busy-unavailable*, not free');
    await expectFreeSlot(moved(blocked), 'S1030');

    const foreign = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '09:30', to: '10:00', slot: 'SC0930' });
    expect(ruleIds(foreign)).toEqual(['scheduling/slot-unavailable']);
    expect(foreign.fired[0].why).toContain(`Schedule/${ids.schedC}`);

    const elsewhen = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '11:30', to: '12:00', slot: 'S1030' });
    expect(ruleIds(elsewhen)).toEqual(['scheduling/slot-unavailable']);
    expect(elsewhen.cards[0].summary).toContain('at another time');
  });

  it('does not repeat a busy Slot whose holder the double-booking card names', async () => {
    const r = await book({ patient: 'P', practitioner: 'drA', day: MON, from: '09:00', to: '09:30', slot: 'S0900' });
    expect(ruleIds(r)).toEqual(['scheduling/practitioner-double-booking']);
  });
});

describe('over HTTP: POST /cds-services/appointment-book', () => {
  it('is listed by discovery, and answers a double-booking with a card that has a uuid and the next free slot', async () => {
    const discovery = await t.http.get('/cds-services');
    expect(discovery.status).toBe(200);
    expect(discovery.body.services).toContainEqual(expect.objectContaining({ id: 'appointment-book', hook: 'appointment-book', prefetch: { patient: 'Patient/{{context.patientId}}' } }));

    const proposal = { resourceType: 'Appointment', id: 'proposed-http', ...appointment({ patient: 'P', practitioner: 'drA', day: MON, from: '09:00', to: '09:30' }), status: 'proposed' };
    const res = await t.http
      .post('/cds-services/appointment-book')
      .set('Content-Type', 'application/json')
      .send({
        hook: 'appointment-book',
        hookInstance: crypto.randomUUID(),
        fhirServer: 'http://localhost/fhir',
        fhirAuthorization: { access_token: 'open-mode', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds-test' },
        context: { userId: `Practitioner/${ids.drA}`, patientId: ids.P, appointments: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: proposal }] } },
      });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.cards).toHaveLength(1);
    const card = res.body.cards[0];
    expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.indicator).toBe('warning');
    expect(card.summary).toBe('Dr Ada Okafor is already booked at 2030-03-04 09:00–09:30 (-05:00)');
    expect(card.links).toEqual([{ label: 'Open scheduling', url: new URL('/apps/scheduling/', t.server.app.config.baseUrl).href, type: 'smart' }]);
    expect(card.detail).toContain(`Appointment/${ids.X1}`);
    const update = card.suggestions.find((s: { actions?: { type: string }[] }) => s.actions?.[0]?.type === 'update');
    expect(update.uuid).toBeDefined();
    expect(update.actions[0].resource).toMatchObject({ id: 'proposed-http', start: at(MON, '09:30'), slot: [{ reference: `Slot/${ids.S0930}` }] });

    // the decision is recorded: the rule that fired, its version and why
    await t.server.app.audit.flush();
    const { rows } = await t.db.db.query<{ content: any }>(`SELECT content FROM resources WHERE resource_type = 'AuditEvent' AND content::text LIKE $1`, [`%${card.uuid}%`]);
    expect(rows).toHaveLength(1);
    const fired = rows[0].content.entity.find((x: any) => x.name === 'scheduling/practitioner-double-booking');
    expect(fired.description).toContain(`Appointment/${ids.X1}`);
    expect(fired.detail).toEqual([{ type: 'version', valueString: rules.version }]);
  });
});

describe('on a generated practice (seed/): Schedules of 30-minute Slots, appointments holding them, hospitalists without a Schedule', () => {
  const SEED_NOW = new Date('2030-06-03T12:00:00Z');
  let fresh: string;
  beforeAll(async () => {
    await storeSeedPopulation(t.server.app.db, 'http://localhost/fhir', { patients: 20, seed: 'cds-scheduling', asOf: '2030-06-03' });
    fresh = await post('Patient', { name: [{ given: ['Nova'], family: 'Reyes' }] });
  }, 120_000);

  const propose = async (a: Partial<Appointment>): Promise<CdsServiceResult> => {
    const proposal = { resourceType: 'Appointment', id: 'proposed-seed', status: 'proposed', ...a } as Appointment;
    return appointmentBook.run({
      request: { hook: 'appointment-book', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/x', patientId: fresh, appointments: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: proposal }] } } },
      prefetch: { patient: null },
      fhir,
      now: SEED_NOW,
    });
  };
  const people = (practitioner: string) => [
    { actor: { reference: `Patient/${fresh}` }, status: 'accepted' as const },
    { actor: { reference: practitioner }, status: 'accepted' as const },
  ];

  it("a booked future appointment's practitioner and time is a double-booking; its free Slot is not", async () => {
    const booked = (await fhir.search<Appointment>(`Appointment?status=booked&date=ge${encodeURIComponent(SEED_NOW.toISOString())}&_count=50`, 50))[0];
    expect(booked).toBeDefined();
    const practitioner = booked.participant!.find((p) => p.actor?.reference?.startsWith('Practitioner/'))!.actor!.reference!;
    const clash = await propose({ start: booked.start, end: booked.end, participant: people(practitioner) });
    expect(ruleIds(clash)).toEqual(['scheduling/practitioner-double-booking']);
    expect(clash.cards[0].detail).toContain(`Appointment/${booked.id}`);
    const next = moved(clash);
    expect(next).toBeDefined();
    const slot = (await t.http.get(`/fhir/${next!.slot![0].reference}`)).body as Slot;
    expect(slot.status).toBe('free');
    expect(slot.start).toBe(next!.start);

    // the suggested slot, proposed as such, passes every rule
    const onFree = await propose({ start: slot.start, end: slot.end, slot: [{ reference: `Slot/${slot.id}` }], participant: people(practitioner) });
    expect(onFree.fired).toEqual([]);
  });

  it('lunch time on a clinic day is outside the bookable slots; a hospitalist has no schedule', async () => {
    const slot = (await fhir.search<Slot>(`Slot?status=free&start=ge${encodeURIComponent(SEED_NOW.toISOString())}&_count=1`, 1))[0];
    const schedule = (await t.http.get(`/fhir/${slot.schedule.reference}`)).body as Schedule;
    const practitioner = schedule.actor.find((a) => a.reference?.startsWith('Practitioner/'))!.reference!;
    const day = slot.start!.slice(0, 10);
    const offset = slot.start!.slice(19);
    const lunch = await propose({ start: `${day}T12:00:00${offset}`, end: `${day}T12:30:00${offset}`, participant: people(practitioner) });
    expect(ruleIds(lunch)).toEqual(['scheduling/outside-slots']);

    const withSchedule = new Set((await fhir.search<Schedule>('Schedule?_count=100', 100)).flatMap((s) => s.actor.map((a) => a.reference)));
    const hospitalist = (await fhir.search<Practitioner>('Practitioner?_count=100', 100)).find((p) => !withSchedule.has(`Practitioner/${p.id}`));
    expect(hospitalist).toBeDefined();
    const ward = await propose({ start: `${day}T12:00:00${offset}`, end: `${day}T12:30:00${offset}`, participant: people(`Practitioner/${hospitalist!.id}`) });
    expect(ruleIds(ward)).toEqual(['scheduling/no-schedule']);
  });
});
