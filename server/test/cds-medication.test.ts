// The order-select and order-sign medication services, called directly (run() with hand-built prefetch):
// for each rule a patient and orders that trigger it and some that do not; card shape (indicator, summary,
// suggestions and actions, override reasons) and the fired rules; the rules files' terminology check;
// one request over HTTP through POST /cds-services/order-sign.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AllergyIntolerance, Bundle, MedicationRequest, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../src/cds/services/index.js';
import {
  checkMedicationRules,
  ckdEpi2021,
  loadMedicationRules,
  OVERRIDE_REASON_SYSTEM,
  readMedicationRules,
  RULE_FILES,
  RULES_DIR,
} from '../src/cds/services/medication-rules.js';
import { orderSelectService } from '../src/cds/services/order-select.js';
import { orderSignService } from '../src/cds/services/order-sign.js';
import type { CdsCard, CdsInput, CdsServiceResult, FhirReader } from '../src/cds/types.js';
import { testServer, type TestServer } from './harness.js';

const NOW = new Date('2026-12-02T10:00:00Z');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

const noFhir: FhirReader = {
  async search() {
    throw new Error('the service should not search: prefetch is filled');
  },
  async read() {
    throw new Error('the service should not read: prefetch is filled');
  },
};

const bundle = (...resources: Resource[]): Bundle => ({ resourceType: 'Bundle', type: 'searchset', total: resources.length, ...(resources.length ? { entry: resources.map((resource) => ({ resource })) } : {}) });

interface DoseSpec {
  value: number;
  unit: string;
  /** Doses a day (period 1 d). */
  perDay?: number;
}

let n = 0;
function order(status: 'draft' | 'active', rxnorm: string, dose?: DoseSpec, id?: string): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: id ?? `${status === 'draft' ? 'd' : 'a'}${++n}`,
    status,
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    authoredOn: status === 'active' ? '2026-06-01' : undefined,
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm }] },
    dosageInstruction: dose
      ? [
          {
            timing: dose.perDay ? { repeat: { frequency: dose.perDay, period: 1, periodUnit: 'd' } } : undefined,
            doseAndRate: [{ doseQuantity: { value: dose.value, unit: dose.unit, system: UCUM, code: dose.unit === 'tablet' || dose.unit === 'capsule' ? `{${dose.unit}}` : dose.unit } }],
          },
        ]
      : undefined,
  };
}
const draft = (rxnorm: string, dose?: DoseSpec, id?: string) => order('draft', rxnorm, dose, id);
const active = (rxnorm: string) => order('active', rxnorm);

function allergy(system: string, code: string, opts: Partial<AllergyIntolerance> & { anaphylaxis?: boolean } = {}): AllergyIntolerance {
  const { anaphylaxis, ...rest } = opts;
  return {
    resourceType: 'AllergyIntolerance',
    id: `al${++n}`,
    patient: { reference: 'Patient/p1' },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
    code: { coding: [{ system, code }] },
    recordedDate: '2020-05-04',
    reaction: anaphylaxis ? [{ manifestation: [{ coding: [{ system: SNOMED, code: '39579001', display: 'Anaphylaxis' }] }], severity: 'severe' }] : undefined,
    ...rest,
  };
}
const PENICILLIN = '764146007';
const SULFONAMIDE = '387406002';
const ASPIRIN_SUBSTANCE = '387458008';

const lab = (code: string, value: number, unit: string, date: string): Observation => ({
  resourceType: 'Observation',
  id: `o${++n}`,
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: date,
  valueQuantity: { value, unit, system: UCUM, code: unit },
});
const egfr = (value: number, date = '2026-10-02') => lab('62238-1', value, 'mL/min/{1.73_m2}', date);
const weight = (kg: number) => lab('29463-7', kg, 'kg', '2026-11-20');

const ADULT: Patient = { resourceType: 'Patient', id: 'p1', birthDate: '1960-04-12', gender: 'female' };
const childAged = (years: number): Patient => ({ resourceType: 'Patient', id: 'p1', birthDate: `${2026 - years}-06-01`, gender: 'male' });

interface Chart {
  patient?: Patient;
  drafts: MedicationRequest[];
  selections?: string[];
  active?: MedicationRequest[];
  allergies?: AllergyIntolerance[];
  weight?: Observation[];
  renal?: Observation[];
}

function input(chart: Chart, hook: 'order-select' | 'order-sign'): CdsInput {
  const context: Record<string, unknown> = { userId: 'Practitioner/u1', patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: chart.drafts.map((resource) => ({ resource })) } };
  if (hook === 'order-select') context.selections = chart.selections ?? chart.drafts.map((d) => `MedicationRequest/${d.id}`);
  return {
    request: { hook, hookInstance: `h${++n}`, context },
    prefetch: {
      patient: chart.patient ?? ADULT,
      medications: bundle(...(chart.active ?? [])),
      allergies: bundle(...(chart.allergies ?? [])),
      weight: bundle(...(chart.weight ?? [])),
      renal: bundle(...(chart.renal ?? [])),
    },
    fhir: noFhir,
    now: NOW,
    appsUrl: APPS_URL,
  };
}
const APPS_URL = 'https://ehr.example/apps/';

const sign = (chart: Chart) => orderSignService.run(input(chart, 'order-sign'));
const select = (chart: Chart) => orderSelectService.run(input(chart, 'order-select'));
const rulesOf = (r: CdsServiceResult) => r.fired.map((f) => f.rule);
const cardOf = (r: CdsServiceResult, rule: string): CdsCard => {
  const c = r.cards.find((x) => x.source.topic?.code === rule);
  expect(c, `a card for ${rule}; got ${JSON.stringify(rulesOf(r))}`).toBeDefined();
  return c!;
};

/** Every card: the CDS Hooks shape and Meridian's conventions. */
function expectWellFormed(r: CdsServiceResult): void {
  expect(r.fired).toHaveLength(r.cards.length);
  const versions = Object.fromEntries(Object.values(readMedicationRules()).flatMap((f) => f.rules.map((rule: { id: string }) => [rule.id, f.version])));
  for (const [i, c] of r.cards.entries()) {
    expect(c.summary.length).toBeLessThanOrEqual(140);
    expect(['info', 'warning', 'critical']).toContain(c.indicator);
    expect(c.source.label).toBe('Meridian medication rules');
    expect(c.source.topic?.code).toBe(r.fired[i].rule);
    expect(r.fired[i].version).toBe(versions[r.fired[i].rule]);
    expect(r.fired[i].why.length).toBeGreaterThan(10);
    expect(c.detail).toMatch(/Rule `.+` of .+\.json version /);
    expect(c.overrideReasons?.length).toBeGreaterThan(0);
    for (const o of c.overrideReasons!) expect(o.system).toBe(OVERRIDE_REASON_SYSTEM);
    if (c.suggestions) {
      expect(c.suggestions.length).toBeGreaterThan(0);
      expect(c.selectionBehavior).toBe('at-most-one');
      for (const s of c.suggestions) {
        expect(s.label).toBeTruthy();
        for (const a of s.actions ?? []) {
          expect(a.description).toBeTruthy();
          if (a.type === 'delete') expect(a.resourceId?.every((x) => /^MedicationRequest\/.+/.test(x))).toBe(true);
          else expect(a.resource?.resourceType).toBe('MedicationRequest');
        }
      }
    } else expect(c.selectionBehavior).toBeUndefined();
    // every medication card links to the chart (a SMART app link, launched by the CDS client for the patient)
    expect(c.links).toEqual([{ label: 'Open the chart', url: `${APPS_URL}chart/`, type: 'smart' }]);
  }
}

describe('rules data', () => {
  it('every file has a version, sources with urls, unique rule ids, and every code is in the shipped terminology', () => {
    const rules = readMedicationRules();
    expect(checkMedicationRules(rules)).toEqual([]);
    for (const f of Object.values(rules)) {
      expect(f.version).toMatch(/\d/);
      expect(f.sources.length).toBeGreaterThan(0);
      for (const s of f.sources) expect(s.url).toMatch(/^https:\/\//);
    }
    expect(() => loadMedicationRules()).not.toThrow();
  });

  it('a rules file naming codes the terminology lacks fails loudly at load, naming each problem', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-med-rules-')) + '/';
    for (const f of Object.values(RULE_FILES)) fs.copyFileSync(`${RULES_DIR}${f}`, `${dir}${f}`);
    const edit = (file: string, change: (json: any) => void) => {
      const json = JSON.parse(fs.readFileSync(`${dir}${file}`, 'utf8'));
      change(json);
      fs.writeFileSync(`${dir}${file}`, JSON.stringify(json));
    };
    edit(RULE_FILES.interactions, (j) => {
      j.rules[0].a.ingredients = ['999999999'];
      j.rules[1].b.classes = ['no-such-class'];
      j.rules[2].a.ingredients = ['314076']; // an SCD, not an ingredient
    });
    edit(RULE_FILES.allergies, (j) => {
      j.rules[0].substance.code = '44054006'; // a disorder, not a substance
    });
    edit(RULE_FILES.doses, (j) => {
      j.strengths['314076'].ingredients = { '6809': 10 }; // lisinopril tablet with metformin in it
      j.rules[0].source = 'nowhere';
    });
    edit(RULE_FILES.renal, (j) => {
      j.rules[0].drug = { ingredients: ['123'] };
    });
    expect(() => loadMedicationRules(dir)).toThrow(/do not match the shipped terminology/);
    const problems = checkMedicationRules(readMedicationRules(dir));
    const text = problems.join('\n');
    expect(text).toMatch(/interaction\/warfarin-nsaid a: RxNorm 999999999 is not in the shipped RxNorm/);
    expect(text).toMatch(/drug class no-such-class is not in/);
    expect(text).toMatch(/RxNorm 314076 is a SCD, not an ingredient/);
    expect(text).toMatch(/SNOMED CT 44054006 is not a substance/);
    expect(text).toMatch(/strengths 314076: 6809 is not an ingredient of 314076/);
    expect(text).toMatch(/dose\/metformin: source "nowhere"/);
    expect(text).toMatch(/renal\/metformin-contraindicated drug: RxNorm 123 is not in/);
    expect(problems).toHaveLength(7);
  });

  it('the services are registered with the medication prefetch templates', () => {
    for (const s of [orderSelectService, orderSignService]) {
      expect(SERVICES).toContain(s);
      expect(s.id).toBe(s.hook);
      expect(s.prefetch).toMatchObject({
        patient: 'Patient/{{context.patientId}}',
        medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
        allergies: 'AllergyIntolerance?patient={{context.patientId}}',
        weight: 'Observation?patient={{context.patientId}}&code=http://loinc.org|29463-7&_sort=-date&_count=1',
      });
      for (const code of ['2160-0', '62238-1', '98979-8', '33914-3']) expect(s.prefetch!.renal).toContain(`http://loinc.org|${code}`);
    }
  });
});

describe('drug-drug interactions', () => {
  it('warfarin (active) + naproxen (draft): bleeding, warning, suggestion to remove the draft', async () => {
    const d = draft('198014');
    const r = await sign({ drafts: [d], active: [active('855332')] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['interaction/warfarin-nsaid']);
    const c = cardOf(r, 'interaction/warfarin-nsaid');
    expect(c.indicator).toBe('warning');
    expect(c.summary).toMatch(/naproxen \+ warfarin: increased bleeding risk/);
    expect(c.detail).toMatch(/Nonsteroidal anti-inflammatory drug/);
    expect(c.suggestions).toEqual([
      { label: 'Remove the draft order for naproxen', actions: [{ type: 'delete', description: expect.stringContaining('naproxen 500 MG'), resourceId: [`MedicationRequest/${d.id}`] }] },
    ]);
    expect(r.fired[0].why).toMatch(new RegExp(`MedicationRequest/${d.id} .*naproxen.* with active MedicationRequest/a\\d+ warfarin`));
  });

  it('aspirin is an NSAID by class: warfarin + aspirin fires; warfarin + amoxicillin does not', async () => {
    expect(rulesOf(await sign({ drafts: [draft('243670')], active: [active('855332')] }))).toEqual(['interaction/warfarin-nsaid']);
    expect(rulesOf(await sign({ drafts: [draft('308191')], active: [active('855332')] }))).toEqual([]);
  });

  it('warfarin + co-trimoxazole (a combination product, by its sulfamethoxazole ingredient)', async () => {
    expect(rulesOf(await sign({ drafts: [draft('198335')], active: [active('855332')] }))).toEqual(['interaction/warfarin-sulfamethoxazole']);
    expect(rulesOf(await sign({ drafts: [draft('308460')], active: [active('855332')] }))).toEqual([]);
  });

  it('simvastatin + clarithromycin: contraindicated (critical), suggests azithromycin in place of the draft', async () => {
    const d = draft('197517', { value: 1, unit: 'tablet', perDay: 2 });
    const r = await sign({ drafts: [d], active: [active('312961')] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['interaction/simvastatin-clarithromycin']);
    const c = r.cards[0];
    expect(c.indicator).toBe('critical');
    expect(c.summary).toMatch(/^Contraindicated interaction: clarithromycin \+ simvastatin/);
    expect(c.selectionBehavior).toBe('at-most-one');
    const [replace, remove] = c.suggestions!;
    expect(replace.isRecommended).toBe(true);
    expect(replace.actions![0].type).toBe('update');
    const mr = replace.actions![0].resource as MedicationRequest;
    expect(mr.id).toBe(d.id);
    expect(mr.status).toBe('draft');
    expect(mr.medicationCodeableConcept?.coding?.[0]).toMatchObject({ system: RXNORM, code: '308460', display: 'azithromycin 250 MG Oral Tablet' });
    expect(mr.dosageInstruction?.[0].text).toMatch(/azithromycin/);
    expect(remove.actions![0]).toMatchObject({ type: 'delete', resourceId: [`MedicationRequest/${d.id}`] });
  });

  it('simvastatin + azithromycin: nothing', async () => {
    expect((await sign({ drafts: [draft('308460')], active: [active('312961')] })).cards).toEqual([]);
  });

  it('atorvastatin + clarithromycin: a warning, not a contraindication', async () => {
    const r = await sign({ drafts: [draft('197517')], active: [active('617310')] });
    expect(rulesOf(r)).toEqual(['interaction/atorvastatin-clarithromycin']);
    expect(r.cards[0].indicator).toBe('warning');
  });

  it('ACE inhibitor or ARB + potassium-sparing diuretic or potassium: hyperkalaemia; + amlodipine: nothing', async () => {
    expect(rulesOf(await sign({ drafts: [draft('313096')], active: [active('314076')] }))).toEqual(['interaction/raas-potassium']);
    expect(rulesOf(await sign({ drafts: [draft('979492')], active: [active('8591')] }))).toEqual(['interaction/raas-potassium']);
    expect(rulesOf(await sign({ drafts: [draft('197361')], active: [active('314076')] }))).toEqual([]);
  });

  it('SSRI + NSAID: bleeding; SSRI + tramadol: serotonin syndrome; SSRI + amoxicillin: nothing', async () => {
    expect(rulesOf(await sign({ drafts: [draft('5640')], active: [active('312941')] }))).toEqual(['interaction/ssri-nsaid']);
    const r = await sign({ drafts: [draft('835603')], active: [active('310385')] });
    expect(rulesOf(r)).toEqual(['interaction/ssri-tramadol']);
    expect(r.cards[0].summary).toMatch(/serotonin syndrome/);
    expect(rulesOf(await sign({ drafts: [draft('308191')], active: [active('312941')] }))).toEqual([]);
  });

  it('among drafts (order-sign checks them all): one card for the pair, not two', async () => {
    const r = await sign({ drafts: [draft('855332'), draft('198014')] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['interaction/warfarin-nsaid']);
  });

  it('stopped orders in the medication list and the draft itself (if the server lists it) do not count', async () => {
    const stopped = { ...active('855332'), status: 'stopped' as const };
    const d = draft('198014');
    const r = await sign({ drafts: [d], active: [stopped, { ...d, status: 'active' }] });
    expect(r.cards).toEqual([]);
  });
});

describe('duplicate therapy', () => {
  it('same ingredient already active: duplicate/same-ingredient (and not also same-class)', async () => {
    const r = await sign({ drafts: [draft('860975')], active: [active('6809')] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['duplicate/same-ingredient']);
    expect(r.cards[0].summary).toMatch(/Duplicate therapy: metformin is already an active order/);
    expect(r.cards[0].suggestions![0].actions![0].type).toBe('delete');
  });

  it('same therapeutic class: two statins; ACE inhibitor + ARB (RAAS agents); not atorvastatin + amlodipine', async () => {
    const r = await sign({ drafts: [draft('312961')], active: [active('617310')] });
    expect(rulesOf(r)).toEqual(['duplicate/same-class']);
    expect(r.cards[0].summary).toMatch(/simvastatin and atorvastatin are both HMG-CoA reductase inhibitor/);
    expect(rulesOf(await sign({ drafts: [draft('979492')], active: [active('314076')] }))).toEqual(['duplicate/same-class']);
    expect(rulesOf(await sign({ drafts: [draft('197361')], active: [active('617310')] }))).toEqual([]);
  });
});

describe('drug allergy and class cross-sensitivity', () => {
  it('penicillin allergy + amoxicillin (aminopenicillin, a penicillin): critical, suggests azithromycin', async () => {
    const d = draft('308191');
    const r = await sign({ drafts: [d], allergies: [allergy(SNOMED, PENICILLIN)] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['allergy/penicillin']);
    const c = r.cards[0];
    expect(c.indicator).toBe('critical');
    expect(c.summary).toMatch(/Allergy: patient is allergic to Penicillin; amoxicillin is contraindicated/);
    expect(c.detail).toMatch(/class Penicillin antibacterial/);
    expect(c.suggestions!.map((s) => s.actions![0].type)).toEqual(['update', 'delete']);
    expect((c.suggestions![0].actions![0].resource as MedicationRequest).medicationCodeableConcept?.coding?.[0].code).toBe('308460');
  });

  it('penicillin allergy + cephalexin: cross-sensitivity warning; critical with a history of anaphylaxis', async () => {
    const mild = await sign({ drafts: [draft('309114')], allergies: [allergy(SNOMED, PENICILLIN)] });
    expect(rulesOf(mild)).toEqual(['allergy/penicillin']);
    expect(mild.cards[0].indicator).toBe('warning');
    expect(mild.cards[0].summary).toMatch(/Possible cross-sensitivity/);
    const severe = await sign({ drafts: [draft('309114')], allergies: [allergy(SNOMED, PENICILLIN, { anaphylaxis: true })] });
    expect(severe.cards[0].indicator).toBe('critical');
    expect(severe.cards[0].detail).toMatch(/Anaphylaxis/);
  });

  it('penicillin allergy + azithromycin: nothing; a refuted or resolved allergy: nothing', async () => {
    expect((await sign({ drafts: [draft('308460')], allergies: [allergy(SNOMED, PENICILLIN)] })).cards).toEqual([]);
    const refuted = allergy(SNOMED, PENICILLIN, { verificationStatus: { coding: [{ code: 'refuted' }] } });
    const resolved = allergy(SNOMED, PENICILLIN, { clinicalStatus: { coding: [{ code: 'resolved' }] } });
    expect((await sign({ drafts: [draft('308191')], allergies: [refuted, resolved] })).cards).toEqual([]);
  });

  it('sulfonamide allergy + co-trimoxazole: critical; + amoxicillin: nothing', async () => {
    const r = await sign({ drafts: [draft('198335')], allergies: [allergy(SNOMED, SULFONAMIDE)] });
    expect(rulesOf(r)).toEqual(['allergy/sulfonamide']);
    expect(r.cards[0].indicator).toBe('critical');
    expect((await sign({ drafts: [draft('308191')], allergies: [allergy(SNOMED, SULFONAMIDE)] })).cards).toEqual([]);
  });

  it('aspirin intolerance: aspirin critical, other NSAIDs a cross-sensitivity warning, clopidogrel nothing', async () => {
    const a = [allergy(SNOMED, ASPIRIN_SUBSTANCE)];
    const direct = await sign({ drafts: [draft('243670')], allergies: a });
    expect(rulesOf(direct)).toEqual(['allergy/aspirin']);
    expect(direct.cards[0].indicator).toBe('critical');
    const cross = await sign({ drafts: [draft('5640')], allergies: a });
    expect(rulesOf(cross)).toEqual(['allergy/aspirin']);
    expect(cross.cards[0].indicator).toBe('warning');
    expect((await sign({ drafts: [draft('309362')], allergies: a })).cards).toEqual([]);
  });

  it('an allergy coded with an RxNorm ingredient: the same ingredient is contraindicated, others are not', async () => {
    const a = [allergy(RXNORM, '723')];
    const r = await sign({ drafts: [draft('308191')], allergies: a });
    expect(rulesOf(r)).toEqual(['allergy/same-ingredient']);
    expect(r.cards[0].indicator).toBe('critical');
    expect((await sign({ drafts: [draft('309114')], allergies: a })).cards).toEqual([]);
  });
});

describe('dose range for age and weight', () => {
  it('adult ibuprofen 1200 mg three times a day: above the 800 mg single dose and 3200 mg daily maximum', async () => {
    const r = await sign({ drafts: [draft('5640', { value: 1200, unit: 'mg', perDay: 3 })] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['dose/ibuprofen']);
    const c = r.cards[0];
    expect(c.indicator).toBe('warning');
    expect(c.summary).toBe('Dose above the maximum: ibuprofen 1200 mg per dose (max 800 mg)');
    expect(c.detail).toMatch(/Daily dose 3600 mg of ibuprofen is above 3200 mg \(adult maximum\)/);
    expect(c.suggestions).toBeUndefined();
  });

  it('adult ibuprofen 400 mg three times a day: nothing', async () => {
    expect((await sign({ drafts: [draft('5640', { value: 400, unit: 'mg', perDay: 3 })] })).cards).toEqual([]);
  });

  it('doses in tablets or capsules use the SCD strength: amoxicillin 500 mg capsules, 2 four times a day is 4000 mg a day', async () => {
    const r = await sign({ drafts: [draft('308191', { value: 2, unit: 'capsule', perDay: 4 })] });
    expect(rulesOf(r)).toEqual(['dose/amoxicillin']);
    expect(r.cards[0].summary).toMatch(/amoxicillin 4000 mg a day \(max 3000 mg\)/);
    expect((await sign({ drafts: [draft('308191', { value: 2, unit: 'capsule', perDay: 2 })] })).cards).toEqual([]);
  });

  it('a child of 20 kg: amoxicillin per kg (90 mg/kg/day = 1800 mg) — 500 mg four times a day fires, three times does not', async () => {
    const chart = { patient: childAged(5), weight: [weight(20)] };
    const r = await sign({ ...chart, drafts: [draft('308191', { value: 1, unit: 'capsule', perDay: 4 })] });
    expect(rulesOf(r)).toEqual(['dose/amoxicillin']);
    expect(r.cards[0].detail).toMatch(/90 mg\/kg\/day x 20 kg \(weight on 2026-11-20\)/);
    expect(r.fired[0].why).toMatch(/a child aged 5\.\d years, 20 kg/);
    expect((await sign({ ...chart, drafts: [draft('308191', { value: 1, unit: 'capsule', perDay: 3 })] })).cards).toEqual([]);
  });

  it('a child with no body weight: an info card that the per-kg limits could not be checked (adults never get it)', async () => {
    const r = await sign({ patient: childAged(5), drafts: [draft('308191', { value: 1, unit: 'capsule', perDay: 3 })] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['dose/amoxicillin']);
    expect(r.cards[0].indicator).toBe('info');
    expect(r.cards[0].summary).toMatch(/not checked per kg: no body weight/);
    expect((await sign({ drafts: [draft('308191', { value: 1, unit: 'capsule', perDay: 3 })] })).cards).toEqual([]);
  });

  it('tramadol under 12 years is contraindicated (critical); at 30 years 50 mg four times a day is fine', async () => {
    const r = await sign({ patient: childAged(10), weight: [weight(32)], drafts: [draft('835603', { value: 1, unit: 'tablet', perDay: 4 })] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['dose/tramadol']);
    expect(r.cards[0].indicator).toBe('critical');
    expect(r.cards[0].summary).toMatch(/Tramadol is contraindicated under 12 years \(patient 10 years\)/);
    expect((await sign({ patient: childAged(30), drafts: [draft('835603', { value: 1, unit: 'tablet', perDay: 4 })] })).cards).toEqual([]);
  });

  it('aspirin under 16 years: a warning; at 40 years: nothing', async () => {
    const r = await sign({ patient: childAged(10), drafts: [draft('243670')] });
    expect(rulesOf(r)).toEqual(['dose/aspirin']);
    expect(r.cards[0].indicator).toBe('warning');
    expect((await sign({ patient: childAged(40), drafts: [draft('243670')] })).cards).toEqual([]);
  });
});

describe('renal dosing', () => {
  it('metformin at eGFR 28: contraindicated (critical), the eGFR and its date in the detail', async () => {
    const r = await sign({ drafts: [draft('860975')], renal: [egfr(28)] });
    expectWellFormed(r);
    expect(rulesOf(r)).toEqual(['renal/metformin-contraindicated']);
    expect(r.cards[0].indicator).toBe('critical');
    expect(r.cards[0].detail).toMatch(/eGFR 28 mL\/min\/1\.73m2 on 2026-10-02/);
    expect(r.cards[0].suggestions![0].actions![0].type).toBe('delete');
  });

  it('metformin at eGFR 40: reduce (warning); at eGFR 60: nothing; the latest result counts', async () => {
    const r = await sign({ drafts: [draft('860975')], renal: [egfr(40)] });
    expect(rulesOf(r)).toEqual(['renal/metformin-reduce']);
    expect(r.cards[0].indicator).toBe('warning');
    expect((await sign({ drafts: [draft('860975')], renal: [egfr(60)] })).cards).toEqual([]);
    expect((await sign({ drafts: [draft('860975')], renal: [egfr(25, '2025-01-01'), egfr(70, '2026-11-01')] })).cards).toEqual([]);
  });

  it('from a creatinine only: eGFR by CKD-EPI 2021; naproxen avoided below 30, low-dose aspirin exempt', async () => {
    expect(ckdEpi2021(1.0, 50, true)).toBeCloseTo(68.6, 1); // the published 2021 equation, female, 50 years
    expect(ckdEpi2021(1.0, 50, false)).toBeCloseTo(91.7, 1);
    const renal = [lab('2160-0', 2.5, 'mg/dL', '2026-11-15')];
    const r = await sign({ drafts: [draft('198014')], renal });
    expect(rulesOf(r)).toEqual(['renal/nsaid-avoid']);
    expect(r.cards[0].detail).toMatch(/eGFR 21 mL\/min\/1\.73m2 estimated \(CKD-EPI 2021, female, age 66\) from serum creatinine 2\.5 mg\/dL on 2026-11-15/);
    expect((await sign({ drafts: [draft('243670')], renal })).cards).toEqual([]);
    expect((await sign({ drafts: [draft('198014')], renal: [lab('2160-0', 0.8, 'mg/dL', '2026-11-15')] })).cards).toEqual([]);
  });

  it('spironolactone at eGFR 25: caution; clarithromycin: reduce', async () => {
    expect(rulesOf(await sign({ drafts: [draft('313096')], renal: [egfr(25)] }))).toEqual(['renal/spironolactone-caution']);
    expect(rulesOf(await sign({ drafts: [draft('197517')], renal: [egfr(25)] }))).toEqual(['renal/clarithromycin-reduce']);
  });
});

describe('order-select checks only the selected drafts', () => {
  it('an unselected draft that would fire is not checked; the selected one is, against active and other drafts', async () => {
    const naproxen = draft('198014');
    const amoxicillin = draft('308191');
    const chart = { drafts: [naproxen, amoxicillin], active: [active('855332')] };
    expect((await select({ ...chart, selections: [`MedicationRequest/${amoxicillin.id}`] })).cards).toEqual([]);
    expect(rulesOf(await select({ ...chart, selections: [`MedicationRequest/${naproxen.id}`] }))).toEqual(['interaction/warfarin-nsaid']);
    const warfarinDraft = draft('855332');
    const r = await select({ drafts: [warfarinDraft, naproxen], selections: [`MedicationRequest/${warfarinDraft.id}`] });
    expect(rulesOf(r)).toEqual(['interaction/warfarin-nsaid']);
  });

  it('cards come critical first', async () => {
    const r = await sign({ drafts: [draft('198014'), draft('860975')], active: [active('855332')], renal: [egfr(28)] });
    expectWellFormed(r);
    expect(r.cards.map((c) => c.indicator)).toEqual(['critical', 'warning', 'warning']);
    expect(r.cards[0].source.topic?.code).toBe('renal/metformin-contraindicated');
    expect(rulesOf(r).sort()).toEqual(['interaction/warfarin-nsaid', 'renal/metformin-contraindicated', 'renal/nsaid-avoid']);
  });
});

describe('over HTTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer({ cdsAuth: 'open' });
  });
  afterAll(() => t?.close());

  it('POST /cds-services/order-sign with prefetch: the cards, with uuids', async () => {
    const d = draft('198014', { value: 1, unit: 'tablet', perDay: 2 });
    const body = {
      hook: 'order-sign',
      hookInstance: '0b5a3c36-7f8e-4b1c-9d1e-2f3a4b5c6d7e',
      context: { userId: 'Practitioner/u1', patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: d }] } },
      prefetch: {
        patient: ADULT,
        medications: bundle(active('855332')),
        allergies: bundle(),
        weight: bundle(),
        renal: bundle(egfr(28)),
      },
    };
    const res = await t.http.post('/cds-services/order-sign').send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const cards = res.body.cards as CdsCard[];
    expect(cards.map((c) => c.source.topic?.code).sort()).toEqual(['interaction/warfarin-nsaid', 'renal/nsaid-avoid']);
    for (const c of cards) expect(c.uuid).toMatch(/^[0-9a-f-]{36}$/);
    // the router tells the services where Meridian's apps are: SMART links to the chart at <BASE_URL origin>/apps/chart/
    const chartUrl = new URL('/apps/chart/', t.server.app.config.baseUrl).href;
    for (const c of cards) {
      expect(c.links).toEqual([{ label: 'Open the chart', url: chartUrl, type: 'smart' }]);
      expect(() => new URL(c.links![0].url)).not.toThrow();
    }
    const discovery = await t.http.get('/cds-services');
    expect(discovery.body.services.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(['order-select', 'order-sign']));
  });

  it('POST /cds-services/order-sign without prefetch: the templates fetch from Meridian (latest weight and renal result)', async () => {
    const repo = t.server.app.repo;
    const pid = (await repo.create({ resourceType: 'Patient', birthDate: '1950-03-01', gender: 'male' } as Patient)).resource.id!;
    const subject = { reference: `Patient/${pid}` };
    const store = (r: Resource) => repo.create({ ...r, id: undefined, ...(r.resourceType === 'AllergyIntolerance' ? { patient: subject } : { subject }) } as unknown as Resource);
    await store(active('855332'));
    await store({ ...active('312961'), status: 'stopped' });
    await store(allergy(SNOMED, PENICILLIN));
    await store(lab('62238-1', 75, 'mL/min/{1.73_m2}', '2025-01-10'));
    await store(lab('62238-1', 26, 'mL/min/{1.73_m2}', '2026-10-02'));
    await store(lab('29463-7', 70, 'kg', '2026-10-02'));
    const drafts = [draft('198014', undefined, 'n1'), draft('197517', undefined, 'c1')].map((d) => ({ ...d, subject }));
    const res = await t.http.post('/cds-services/order-sign').send({
      hook: 'order-sign',
      hookInstance: '1b5a3c36-7f8e-4b1c-9d1e-2f3a4b5c6d7e',
      fhirServer: 'http://localhost/fhir',
      fhirAuthorization: { access_token: 'open-mode', token_type: 'Bearer', expires_in: 300, scope: 'system/*.rs', subject: 'cds-test' },
      context: { userId: 'Practitioner/u1', patientId: pid, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const topics = (res.body.cards as CdsCard[]).map((c) => c.source.topic?.code).sort();
    // naproxen with active warfarin; naproxen at the latest eGFR 26 (not the older 75); clarithromycin reduced; no
    // simvastatin interaction (that order is stopped).
    expect(topics).toEqual(['interaction/warfarin-nsaid', 'renal/clarithromycin-reduce', 'renal/nsaid-avoid']);
    const renalCard = (res.body.cards as CdsCard[]).find((c) => c.source.topic?.code === 'renal/nsaid-avoid')!;
    expect(renalCard.detail).toMatch(/eGFR 26 mL\/min\/1\.73m2 on 2026-10-02/);
  });

  it("a suggested replacement MedicationRequest is accepted by Meridian's validator", async () => {
    const pid = (await t.server.app.repo.create({ resourceType: 'Patient', birthDate: '1950-03-01', gender: 'male' } as Patient)).resource.id!;
    const d = { ...draft('197517', { value: 1, unit: 'tablet', perDay: 2 }, 'c9'), subject: { reference: `Patient/${pid}` } };
    const r = await sign({ drafts: [d], active: [active('312961')] });
    const replacement = r.cards[0].suggestions![0].actions![0].resource as MedicationRequest;
    const res = await t.http.put(`/fhir/MedicationRequest/${replacement.id}`).set('content-type', 'application/fhir+json').send(replacement);
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
    expect(res.body.medicationCodeableConcept.coding[0].code).toBe('308460');
  });
});
