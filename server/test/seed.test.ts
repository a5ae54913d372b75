// The seed generator (seed/): determinism, validity of every resource it makes, referential integrity,
// realistic vital signs and laboratory results, Slots and Appointments that agree, and streaming.
// No database: it runs the generator and the server's validator only.
import type { Bundle, BundleEntry, Observation, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_SYSTEM, generatePatientBundles, generatePractice, type SeedOptions } from '../../seed/generate.js';
import { codeSystemContents } from '../../seed/codes.js';
import { loadDefinitions } from '../src/fhir/definitions.js';
import { validationIssues } from '../src/fhir/validate.js';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

/** A full garbage collection, so heap figures count only what is still reachable. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

const OPTIONS: SeedOptions = { patients: 20, seed: 'seed-test', asOf: '2026-11-01' };
const AS_OF_MS = Date.parse('2026-11-01T00:00:00-04:00');

let practice: Bundle;
let patients: Bundle[];
beforeAll(() => {
  loadDefinitions();
  practice = generatePractice(OPTIONS);
  patients = [...generatePatientBundles(OPTIONS)];
});

const resources = (b: Bundle) => (b.entry ?? []).map((e) => e.resource as Resource);
const seedValue = (r: Resource) => (r as { identifier?: { system?: string; value?: string }[] }).identifier?.find((i) => i.system === SEED_SYSTEM)?.value;
const ofType = <T extends Resource>(b: Bundle, type: T['resourceType']) => resources(b).filter((r) => r.resourceType === type) as T[];
const loinc = (o: Observation) => o.code.coding?.find((c) => c.system === 'http://loinc.org')?.code;

/** Every Reference.reference string in a resource. */
function referencesOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => referencesOf(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else referencesOf(v, out);
    }
  }
  return out;
}

describe('seed generator', () => {
  it('is deterministic: the same options give the same bytes, another seed other bytes', () => {
    const again = JSON.stringify([generatePractice(OPTIONS), ...generatePatientBundles(OPTIONS)]);
    expect(again).toBe(JSON.stringify([practice, ...patients]));
    const other = JSON.stringify([generatePractice({ ...OPTIONS, seed: 'another' }), ...generatePatientBundles({ ...OPTIONS, seed: 'another' })]);
    expect(other).not.toBe(again);
    // a patient does not depend on how far the generator was iterated, and a later as-of day moves the record
    const third = generatePatientBundles(OPTIONS);
    third.next();
    third.next();
    expect(JSON.stringify(third.next().value)).toBe(JSON.stringify(patients[2]));
    expect(JSON.stringify([...generatePatientBundles({ ...OPTIONS, asOf: '2027-03-01' })][2])).not.toBe(JSON.stringify(patients[2]));
    expect(() => generatePractice({ ...OPTIONS, asOf: '2026-13-01' })).toThrow();
  });

  it('makes transaction Bundles of conditional creates on unique seed identifiers', () => {
    const seen = new Set<string>();
    for (const bundle of [practice, ...patients]) {
      expect(bundle.resourceType).toBe('Bundle');
      expect(bundle.type).toBe('transaction');
      for (const e of bundle.entry ?? []) {
        const value = seedValue(e.resource!);
        expect(value, JSON.stringify(e.resource)).toBeTruthy();
        expect(seen.has(value!), value).toBe(false);
        seen.add(value!);
        expect(e.request).toEqual({ method: 'POST', url: e.resource!.resourceType, ifNoneExist: `identifier=${SEED_SYSTEM}|${value}` });
        expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(seen.has(e.fullUrl!)).toBe(false);
        seen.add(e.fullUrl!);
      }
    }
  });

  it('every resource of the practice and of 20 patients is valid against the R4 definitions', () => {
    const failures: string[] = [];
    let checked = 0;
    for (const bundle of [practice, ...patients]) {
      for (const r of resources(bundle)) {
        checked++;
        for (const i of validationIssues(r)) {
          if (i.severity === 'error' || i.severity === 'fatal') failures.push(`${seedValue(r)} ${i.expression?.join(',')}: ${i.diagnostics}`);
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it('every reference resolves: to an entry of the same Bundle, or conditionally to a practice resource', () => {
    const practiceUrls = new Set(practice.entry!.map((e) => e.fullUrl));
    const practiceIds = new Set(resources(practice).map((r) => `${r.resourceType}?identifier=${SEED_SYSTEM}|${seedValue(r)}`));
    for (const ref of resources(practice).flatMap((r) => referencesOf(r))) expect(practiceUrls.has(ref), ref).toBe(true);
    let conditional = 0;
    for (const bundle of patients) {
      const urls = new Set(bundle.entry!.map((e) => e.fullUrl));
      for (const ref of resources(bundle).flatMap((r) => referencesOf(r))) {
        if (ref.startsWith('urn:uuid:')) expect(urls.has(ref), ref).toBe(true);
        else {
          expect(practiceIds.has(ref), ref).toBe(true);
          conditional++;
        }
      }
      // one Patient, and everything else is about that patient
      expect(ofType(bundle, 'Patient')).toHaveLength(1);
      expect(bundle.entry![0].resource!.resourceType).toBe('Patient');
    }
    expect(conditional).toBeGreaterThan(100);
  });

  it('vital signs follow the vital-signs profile and stay in realistic ranges; BMI agrees with weight and height', () => {
    const ranges: Record<string, [number, number, string]> = {
      '8867-4': [40, 180, '/min'],
      '9279-1': [8, 70, '/min'],
      '8310-5': [35, 41, 'Cel'],
      '2708-6': [80, 100, '%'],
      '29463-7': [1.5, 250, 'kg'],
      '8302-2': [40, 220, 'cm'],
      '39156-5': [10, 70, 'kg/m2'],
    };
    let bmiChecked = 0;
    let bpChecked = 0;
    for (const bundle of patients) {
      const vitals = ofType<Observation>(bundle, 'Observation').filter((o) => o.category?.[0]?.coding?.[0]?.code === 'vital-signs');
      for (const o of vitals) {
        expect(o.status).toBe('final');
        expect(o.category![0].coding![0].system).toBe('http://terminology.hl7.org/CodeSystem/observation-category');
        expect(o.subject?.reference).toMatch(/^urn:uuid:/);
        expect(o.effectiveDateTime).toBeTruthy();
        const code = loinc(o)!;
        if (code === '85354-9') {
          const [sys, dia] = ['8480-6', '8462-4'].map((c) => o.component!.find((x) => x.code.coding![0].code === c)!.valueQuantity!);
          expect(sys.code).toBe('mm[Hg]');
          expect(sys.system).toBe('http://unitsofmeasure.org');
          expect(sys.value!).toBeGreaterThanOrEqual(80);
          expect(sys.value!).toBeLessThanOrEqual(220);
          expect(dia.value!).toBeGreaterThanOrEqual(40);
          expect(dia.value!).toBeLessThan(sys.value!);
          expect(o.valueQuantity).toBeUndefined();
          bpChecked++;
          continue;
        }
        const [lo, hi, unit] = ranges[code];
        expect(ranges[code], code).toBeDefined();
        expect(o.valueQuantity!.system).toBe('http://unitsofmeasure.org');
        expect(o.valueQuantity!.code).toBe(unit);
        expect(o.valueQuantity!.value!, code).toBeGreaterThanOrEqual(lo);
        expect(o.valueQuantity!.value!, code).toBeLessThanOrEqual(hi);
      }
      // BMI = weight / height^2 with the weight of the same visit and the latest height measured
      const byTime = [...vitals].sort((a, b) => Date.parse(a.effectiveDateTime!) - Date.parse(b.effectiveDateTime!));
      let height: number | undefined;
      const weightOf = new Map<string, number>();
      for (const o of byTime) if (loinc(o) === '29463-7') weightOf.set(o.encounter!.reference!, o.valueQuantity!.value!);
      for (const o of byTime) {
        if (loinc(o) === '8302-2') height = o.valueQuantity!.value!;
        if (loinc(o) === '39156-5') {
          const weight = weightOf.get(o.encounter!.reference!);
          const sameVisitHeight = byTime.find((x) => loinc(x) === '8302-2' && x.encounter!.reference === o.encounter!.reference);
          const h = sameVisitHeight?.valueQuantity!.value ?? height;
          expect(weight).toBeDefined();
          expect(h).toBeDefined();
          expect(Math.abs(o.valueQuantity!.value! - weight! / (h! / 100) ** 2)).toBeLessThan(0.1);
          bmiChecked++;
        }
      }
    }
    expect(bmiChecked).toBeGreaterThan(20);
    expect(bpChecked).toBeGreaterThan(20);
  });

  it('laboratory results carry reference ranges and interpretations that agree with their values', () => {
    let checked = 0;
    for (const bundle of patients) {
      for (const o of ofType<Observation>(bundle, 'Observation').filter((x) => x.category?.[0]?.coding?.[0]?.code === 'laboratory')) {
        const value = o.valueQuantity!.value!;
        const { low, high } = o.referenceRange![0];
        const flag = o.interpretation![0].coding![0].code;
        expect(o.interpretation![0].coding![0].system).toBe('http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation');
        if (flag === 'N') {
          if (low) expect(value).toBeGreaterThanOrEqual(low.value!);
          if (high) expect(value).toBeLessThanOrEqual(high.value!);
        } else if (flag === 'H' || flag === 'HH') expect(value).toBeGreaterThan(high!.value!);
        else expect(value).toBeLessThan(low!.value!);
        expect(Date.parse(o.issued!)).toBeGreaterThan(Date.parse(o.effectiveDateTime!));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('Slots and Appointments agree: a Slot is busy exactly when an Appointment holds it; past and future are relative to asOf', () => {
    const slots = new Map(resources(practice).filter((r) => r.resourceType === 'Slot').map((s) => [`Slot?identifier=${SEED_SYSTEM}|${seedValue(s)}`, s as { status: string; start: string }]));
    const holders = new Map<string, number>();
    let past = 0;
    let future = 0;
    for (const bundle of patients) {
      for (const a of ofType<import('@medplum/fhirtypes').Appointment>(bundle, 'Appointment')) {
        const slot = slots.get(a.slot![0].reference!)!;
        expect(slot, a.slot![0].reference).toBeDefined();
        expect(a.start).toBe(slot.start);
        const start = Date.parse(a.start!);
        if (a.status === 'cancelled') expect(slot.status).toBe('free');
        else {
          expect(slot.status).toBe('busy');
          holders.set(a.slot![0].reference!, (holders.get(a.slot![0].reference!) ?? 0) + 1);
        }
        if (a.status === 'fulfilled' || a.status === 'noshow') expect(start).toBeLessThan(AS_OF_MS);
        if (a.status === 'booked') expect(start).toBeGreaterThanOrEqual(AS_OF_MS);
        expect(Date.parse(a.created!)).toBeLessThan(Math.min(start, AS_OF_MS));
        if (start < AS_OF_MS) past++;
        else future++;
        const fulfilledBy = ofType<import('@medplum/fhirtypes').Encounter>(bundle, 'Encounter').filter((e) => e.appointment?.[0]?.reference === bundle.entry!.find((x) => x.resource === a)!.fullUrl);
        expect(fulfilledBy.length).toBe(a.status === 'fulfilled' ? 1 : 0);
      }
      for (const e of ofType<import('@medplum/fhirtypes').Encounter>(bundle, 'Encounter')) expect(Date.parse(e.period!.start!)).toBeLessThan(AS_OF_MS);
      for (const c of ofType<import('@medplum/fhirtypes').ClaimResponse>(bundle, 'ClaimResponse')) expect(c.created < '2026-11-01').toBe(true);
    }
    for (const [ref, s] of slots) if (s.status === 'busy') expect(holders.get(ref), ref).toBe(1);
    expect(past + future).toBeGreaterThan(0);
  });

  it('every code used is in the shipped code set', () => {
    const shipped = new Set(codeSystemContents().flatMap((cs) => cs.concepts.map((c) => `${cs.url}|${c.code}`)));
    const external = new Set(codeSystemContents().map((cs) => cs.url));
    const missing = new Set<string>();
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const n = node as { system?: unknown; code?: unknown };
        if (typeof n.system === 'string' && typeof n.code === 'string' && external.has(n.system) && !shipped.has(`${n.system}|${n.code}`)) missing.add(`${n.system}|${n.code}`);
        Object.values(node).forEach(walk);
      }
    };
    [practice, ...patients].forEach(walk);
    expect([...missing]).toEqual([]);
  });

  it('adults have a smoking status and an immunization history with the CVX codes of the care-gap rules; children neither', () => {
    const rules = JSON.parse(readFileSync(new URL('../src/cds/rules/care-gaps.json', import.meta.url), 'utf8')) as {
      cvx: { system: string; codes: { code: string; display: string }[] };
      rules: { immunizations: { cvx: string[] }[]; risk: { currentSmoker: { code: string }[] } };
    };
    const cvxDisplay = new Map(rules.cvx.codes.map((c) => [c.code, c.display]));
    const [flu, td, pneumo] = rules.rules.immunizations.map((r) => new Set(r.cvx));
    const currentSmoker = new Set(rules.rules.risk.currentSmoker.map((c) => c.code));
    const share: Record<string, [number, number]> = {};
    const count = (key: string, hit: boolean) => {
      share[key] ??= [0, 0];
      share[key][1]++;
      if (hit) share[key][0]++;
    };
    const smokingShares = { current: 0, former: 0, never: 0 };
    let adults = 0;
    for (const bundle of generatePatientBundles({ patients: 600, seed: 'prevention', asOf: '2026-11-01' })) {
      const list = resources(bundle);
      const patient = list[0] as import('@medplum/fhirtypes').Patient;
      const age = Math.floor((AS_OF_MS - Date.parse(patient.birthDate!)) / (365.2425 * 864e5));
      const urls = new Map(bundle.entry!.map((e) => [e.fullUrl, e.resource!]));
      const shots = ofType<import('@medplum/fhirtypes').Immunization>(bundle, 'Immunization');
      const smoking = ofType<Observation>(bundle, 'Observation').filter((o) => loinc(o) === '72166-2');
      if (age < 18) {
        expect(shots).toEqual([]);
        expect(smoking).toEqual([]);
        continue;
      }
      adults++;
      expect(smoking).toHaveLength(1);
      const o = smoking[0];
      expect(o.category![0].coding![0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'social-history', display: 'Social History' });
      const answer = o.valueCodeableConcept!.coding![0];
      expect(answer.system).toBe('http://snomed.info/sct');
      expect(Date.parse(o.effectiveDateTime!)).toBeLessThan(AS_OF_MS);
      if (currentSmoker.has(answer.code!)) smokingShares.current++;
      else if (answer.code === '8517006') smokingShares.former++;
      else if (answer.code === '266919005') smokingShares.never++;
      else throw new Error(`smoking status ${answer.code}`);
      for (const shot of shots) {
        expect(shot.status).toBe('completed');
        const coding = shot.vaccineCode.coding![0];
        expect(coding.system).toBe(rules.cvx.system);
        expect(cvxDisplay.get(coding.code!), coding.code).toBe(coding.display);
        expect(shot.patient.reference).toBe(bundle.entry![0].fullUrl);
        expect(Date.parse(shot.occurrenceDateTime!)).toBeLessThan(AS_OF_MS);
        expect(Date.parse(shot.occurrenceDateTime!)).toBeGreaterThan(Date.parse(patient.birthDate!) + 11 * 365 * 864e5);
        // given at a visit of the record (primary source), or recorded from elsewhere
        if (shot.encounter) {
          expect(shot.primarySource).toBe(true);
          const encounter = urls.get(shot.encounter.reference) as import('@medplum/fhirtypes').Encounter;
          expect(encounter.resourceType).toBe('Encounter');
          expect(shot.occurrenceDateTime!.slice(0, 10)).toBe(encounter.period!.start!.slice(0, 10));
        } else expect(shot.primarySource).toBe(false);
      }
      const given = (codes: Set<string>, from = '0000') => shots.some((x) => codes.has(x.vaccineCode.coding![0].code!) && x.occurrenceDateTime! >= from);
      const lastSeason = shots.some((x) => flu.has(x.vaccineCode.coding![0].code!) && x.occurrenceDateTime! >= '2025-08-01' && x.occurrenceDateTime! < '2026-08-01');
      count('influenza 2025-26', lastSeason);
      count(age >= 65 ? 'influenza 2025-26 65+' : 'influenza 2025-26 <65', lastSeason);
      count('Td/Tdap in 10 years', given(td, '2016-11-02'));
      if (age >= 65) count('pneumococcal 65+', given(pneumo));
      if (age < 50) expect(given(pneumo)).toBe(false);
    }
    const p = (k: string) => share[k][0] / share[k][1];
    expect(adults).toBeGreaterThan(350);
    expect(smokingShares.current / adults).toBeGreaterThan(0.08);
    expect(smokingShares.current / adults).toBeLessThan(0.17);
    expect(smokingShares.former / adults).toBeGreaterThan(0.18);
    expect(smokingShares.former / adults).toBeLessThan(0.33);
    expect(p('influenza 2025-26')).toBeGreaterThan(0.4);
    expect(p('influenza 2025-26')).toBeLessThan(0.6);
    expect(p('influenza 2025-26 65+')).toBeGreaterThan(p('influenza 2025-26 <65') + 0.15);
    expect(p('Td/Tdap in 10 years')).toBeGreaterThan(0.55);
    expect(p('Td/Tdap in 10 years')).toBeLessThan(0.8);
    expect(p('pneumococcal 65+')).toBeGreaterThan(0.55);
  });

  it('streams 2,000 patients lazily in bounded memory; chronic conditions drive medications and lab values', () => {
    const options = { patients: 2000, seed: 'stream', asOf: '2026-11-01' };
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    let count = 0;
    let entries = 0;
    let bytes = 0;
    let diabetics = 0;
    let onMetformin = 0;
    const a1c = { diabetic: [0, 0], other: [0, 0] };
    let peakHeap = 0;
    for (const bundle of generatePatientBundles(options)) {
      count++;
      entries += bundle.entry!.length;
      bytes += JSON.stringify(bundle).length;
      const list = bundle.entry!.map((e: BundleEntry) => e.resource!);
      const diabetic = list.some((r) => r.resourceType === 'Condition' && r.code?.coding?.some((c) => c.code === '44054006'));
      if (diabetic) {
        diabetics++;
        if (list.some((r) => r.resourceType === 'MedicationRequest' && r.medicationCodeableConcept?.coding?.[0]?.code === '860975')) onMetformin++;
      }
      for (const r of list) {
        if (r.resourceType === 'Observation' && loinc(r) === '4548-4') {
          const slot = diabetic ? a1c.diabetic : a1c.other;
          slot[0] += r.valueQuantity!.value!;
          slot[1]++;
        }
      }
      if (count % 250 === 0) {
        collectGarbage(); // what is still reachable, not garbage waiting for a collection
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `seed: ${count} patients in ${seconds.toFixed(2)} s (${Math.round(count / seconds)} patients/s), ` +
        `${(entries / count).toFixed(1)} entries and ${Math.round(bytes / count / 1024)} KiB per patient Bundle, ` +
        `heap growth ${Math.round((peakHeap - heapBefore) / 1e6)} MB`,
    );
    expect(count).toBe(2000);
    expect(entries / count).toBeGreaterThan(50);
    expect(entries / count).toBeLessThan(200);
    expect(peakHeap - heapBefore).toBeLessThan(50e6); // nothing accumulates: 2,000 records are ~350 MB of JSON
    expect(diabetics).toBeGreaterThan(50);
    expect(onMetformin / diabetics).toBeGreaterThan(0.85);
    expect(a1c.diabetic[0] / a1c.diabetic[1]).toBeGreaterThan(6.8);
    expect(a1c.other[0] / a1c.other[1]).toBeLessThan(5.8);
  });
});
