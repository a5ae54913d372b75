// patient-view: care gaps and risk. Overdue HbA1c for diabetics, blood pressure above target on the last
// readings, missing immunizations (CVX), and a 10-year CHD risk by the Framingham point score of NCEP
// ATP III. Thresholds, codes and sources are data: ../rules/care-gaps.json (checked at load).
import fs from 'node:fs';
import { appLink, withLinks } from './links.js';
import type {
  Condition, Immunization, MedicationRequest, Observation, Patient, ServiceRequest,
} from '@medplum/fhirtypes';
import { shippedTerminology } from '../../terminology/service.js';
import type { CdsCard, CdsInput, CdsService, CdsServiceResult, FiredRule } from '../types.js';
import {
  type CodeRef, type RulesFileBase, addMonths, ageOn, cardSource, checkRulesCodes, codingIn, conditionName, conditionsMatching, day, monthsBetween,
  overrideReasons, parseDate, practitionerOf, resourcesOf, summary,
} from './care-rules.js';

interface ImmunizationRule {
  id: string;
  title: string;
  source: string;
  minAge: number;
  cvx: string[];
  season?: { startMonth: number };
  years?: number;
  suggest: { cvx: string; label: string };
  simplified: string;
}

interface SexTable {
  age: number[];
  cholesterolBands: number[];
  cholesterolByAgeDecade: number[][];
  smokerByAgeDecade: number[];
  hdlBands: number[];
  hdl: number[];
  systolicBands: number[];
  systolicUntreated: number[];
  systolicTreated: number[];
  riskFromPoints: { min: number; belowMin: string; percent: number[]; aboveMax: string };
}

export interface CareGapRules extends RulesFileBase {
  rules: {
    hba1c: { id: string; title: string; source: string; conditions: CodeRef[]; test: CodeRef; months: number; simplified: string };
    bloodPressure: {
      id: string; title: string; source: string; panel: CodeRef; systolic: CodeRef; diastolic: CodeRef; hypertension: CodeRef[];
      readings: number; minReadings: number; lookbackMonths: number; minAge: number;
      target: { systolic: number; diastolic: number }; stage2: { systolic: number; diastolic: number }; simplified: string;
    };
    immunizations: ImmunizationRule[];
    risk: {
      id: string; title: string; source: string; cholesterol: CodeRef; hdl: CodeRef; systolic: CodeRef; smokingStatus: CodeRef;
      currentSmoker: CodeRef[]; diabetes: CodeRef[]; antihypertensiveClasses: { system: string; codes: string[] };
      labMonths: number; warningAtPercent: number; simplified: string; ageBands: number[]; men: SexTable; women: SexTable;
    };
  };
}

/** Parses and checks a care-gaps rules file; throws naming every code the shipped terminology lacks. */
export function loadCareGapRules(text: string): CareGapRules {
  const rules = JSON.parse(text) as CareGapRules;
  checkRulesCodes('care-gaps.json', rules);
  return rules;
}

export const CARE_GAP_RULES: CareGapRules = loadCareGapRules(fs.readFileSync(new URL('../rules/care-gaps.json', import.meta.url), 'utf8'));

const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const usable = (o: Observation) => o.status !== 'entered-in-error' && o.status !== 'cancelled';
const whenOf = (o: Observation) => parseDate(o.effectiveDateTime ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued);
const hasCode = (o: Observation, ref: CodeRef) => !!codingIn(o.code, ref.system, [ref.code]);
const qty = (o: Observation) => (o.valueQuantity?.value !== undefined ? `${o.valueQuantity.value} ${o.valueQuantity.unit ?? o.valueQuantity.code ?? ''}`.trim() : 'no value');

/** Latest first. */
function latest(observations: Observation[], ref: CodeRef): Observation[] {
  return observations.filter((o) => usable(o) && hasCode(o, ref) && whenOf(o)).sort((a, b) => whenOf(b)!.getTime() - whenOf(a)!.getTime());
}

export interface BpReading {
  when: Date;
  systolic: number;
  diastolic: number;
  ids: string[];
}

/** Blood pressure readings, latest first: panels (85354-9 with components) and separate systolic/diastolic Observations paired by time. */
export function bpReadings(observations: Observation[], r: CareGapRules['rules']['bloodPressure']): BpReading[] {
  const byTime = new Map<number, { systolic?: number; diastolic?: number; ids: string[] }>();
  const add = (when: Date, kind: 'systolic' | 'diastolic', value: number | undefined, id: string | undefined) => {
    if (value === undefined) return;
    const slot = byTime.get(when.getTime()) ?? { ids: [] };
    slot[kind] ??= value;
    if (id && !slot.ids.includes(id)) slot.ids.push(id);
    byTime.set(when.getTime(), slot);
  };
  for (const o of observations) {
    const when = whenOf(o);
    if (!when || !usable(o)) continue;
    const ref = o.id ? `Observation/${o.id}` : undefined;
    if (hasCode(o, r.panel)) {
      for (const c of o.component ?? []) {
        if (codingIn(c.code, LOINC, [r.systolic.code])) add(when, 'systolic', c.valueQuantity?.value, ref);
        if (codingIn(c.code, LOINC, [r.diastolic.code])) add(when, 'diastolic', c.valueQuantity?.value, ref);
      }
    } else if (hasCode(o, r.systolic)) add(when, 'systolic', o.valueQuantity?.value, ref);
    else if (hasCode(o, r.diastolic)) add(when, 'diastolic', o.valueQuantity?.value, ref);
  }
  return [...byTime.entries()]
    .filter(([, v]) => v.systolic !== undefined && v.diastolic !== undefined)
    .map(([t, v]) => ({ when: new Date(t), systolic: v.systolic!, diastolic: v.diastolic!, ids: v.ids }))
    .sort((a, b) => b.when.getTime() - a.when.getTime());
}

// ---- the risk score --------------------------------------------------------------------------------

export interface RiskInputs {
  sex: 'male' | 'female';
  age: number;
  totalCholesterol: number;
  hdl: number;
  systolic: number;
  treated: boolean;
  smoker: boolean;
}

export interface RiskScore {
  points: number;
  /** "8", "<1", ">=30": percent, as the table gives it. */
  risk: string;
  /** For comparisons: the table value, 0.5 for "<1", 30 for ">=30". */
  percent: number;
  breakdown: { age: number; cholesterol: number; smoking: number; hdl: number; systolic: number };
}

const band = (bands: number[], value: number) => bands.filter((b) => value >= b).length;

/** The ATP III Framingham point score (hard CHD, 10 years); undefined outside ages 20-79. */
export function framinghamAtp3(input: RiskInputs, r: CareGapRules['rules']['risk'] = CARE_GAP_RULES.rules.risk): RiskScore | undefined {
  const ageIndex = band(r.ageBands, input.age) - 1;
  if (ageIndex < 0 || ageIndex >= r.ageBands.length - 1) return undefined;
  const t = input.sex === 'male' ? r.men : r.women;
  // cholesterol and smoking points are by age decade: 20-39, 40-49, 50-59, 60-69, 70-79
  const decade = input.age < 40 ? 0 : Math.min(4, Math.floor(input.age / 10) - 3);
  const breakdown = {
    age: t.age[ageIndex],
    cholesterol: t.cholesterolByAgeDecade[decade][band(t.cholesterolBands, input.totalCholesterol)],
    smoking: input.smoker ? t.smokerByAgeDecade[decade] : 0,
    hdl: t.hdl[band(t.hdlBands, input.hdl)],
    systolic: (input.treated ? t.systolicTreated : t.systolicUntreated)[band(t.systolicBands, input.systolic)],
  };
  const points = breakdown.age + breakdown.cholesterol + breakdown.smoking + breakdown.hdl + breakdown.systolic;
  const table = t.riskFromPoints;
  let risk: string;
  let percent: number;
  if (points < table.min) [risk, percent] = [table.belowMin, 0.5];
  else if (points - table.min >= table.percent.length) [risk, percent] = [table.aboveMax, 30];
  else [risk, percent] = [String(table.percent[points - table.min]), table.percent[points - table.min]];
  return { points, risk, percent, breakdown };
}

/** Whether an active MedicationRequest's RxNorm drug (or its ingredient) is in an antihypertensive class. */
function antihypertensive(requests: MedicationRequest[], r: CareGapRules['rules']['risk']): MedicationRequest | undefined {
  const terminology = shippedTerminology();
  const rxnorm = terminology.codeSystem(RXNORM);
  const classes = terminology.codeSystem(r.antihypertensiveClasses.system);
  if (!rxnorm || !classes) return undefined;
  const wanted = new Set(r.antihypertensiveClasses.codes.flatMap((c) => [c, ...classes.descendants(c)]));
  const classesOf = (code: string): string[] => {
    const concept = rxnorm.get(code);
    if (!concept) return [];
    const own = concept.property.filter((p) => p.code === 'drug_class').map((p) => p.valueCode!);
    const viaIngredient = concept.property.filter((p) => p.code === 'has_ingredient').flatMap((p) => classesOf(p.valueCode!));
    return [...own, ...viaIngredient];
  };
  return requests.find((m) => m.status === 'active' && (m.medicationCodeableConcept?.coding ?? []).some((c) => c.system === RXNORM && c.code && classesOf(c.code).some((k) => wanted.has(k))));
}

// ---- the service -----------------------------------------------------------------------------------

const PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}&clinical-status=active',
  hba1c: 'Observation?patient={{context.patientId}}&code=http://loinc.org|4548-4&_sort=-date&_count=1',
  bloodPressure: 'Observation?patient={{context.patientId}}&code=http://loinc.org|85354-9,http://loinc.org|8480-6,http://loinc.org|8462-4&_sort=-date&_count=10',
  immunizations: 'Immunization?patient={{context.patientId}}&status=completed',
  lipids: 'Observation?patient={{context.patientId}}&code=http://loinc.org|2093-3,http://loinc.org|2085-9&_sort=-date&_count=10',
  smoking: 'Observation?patient={{context.patientId}}&code=http://loinc.org|72166-2&_sort=-date&_count=1',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
};

export function patientViewService(rules: CareGapRules = CARE_GAP_RULES): CdsService {
  return {
    id: 'meridian-care-gaps',
    hook: 'patient-view',
    title: 'Care gaps and cardiovascular risk',
    description:
      'Overdue HbA1c in diabetes (ADA), blood pressure above target on the last readings (ACC/AHA 2017), missing adult immunizations (CDC: influenza this season, Td/Tdap in 10 years, pneumococcal at 50+), and the 10-year CHD risk by the ATP III Framingham point score.',
    prefetch: PREFETCH,
    usageRequirements: 'Reads Patient, Condition, Observation, Immunization and MedicationRequest of the patient (prefetch or the FHIR server).',
    run: (input) => runPatientView(input, rules),
  };
}

export async function runPatientView(input: CdsInput, rules: CareGapRules = CARE_GAP_RULES): Promise<CdsServiceResult> {
  const { prefetch, now } = input;
  const patient = resourcesOf<Patient>(prefetch.patient, 'Patient')[0];
  const patientId = String(input.request.context.patientId ?? patient?.id ?? '');
  const subject = { reference: `Patient/${patient?.id ?? patientId}` };
  const requester = practitionerOf(input.request.context.userId);
  const conditions = resourcesOf<Condition>(prefetch.conditions, 'Condition');
  const age = ageOn(patient?.birthDate, now);
  const cards: CdsCard[] = [];
  const fired: FiredRule[] = [];
  const fire = (rule: string, why: string) => fired.push({ rule, version: rules.version, why });

  // (1) HbA1c overdue in diabetes
  const h = rules.rules.hba1c;
  const diabetes = conditionsMatching(conditions, h.conditions);
  if (diabetes.length) {
    const last = latest(resourcesOf<Observation>(prefetch.hba1c, 'Observation'), h.test)[0];
    const lastWhen = last ? whenOf(last)! : undefined;
    const due = addMonths(now, -h.months);
    if (!lastWhen || lastWhen < due) {
      const lastText = last ? `last HbA1c ${qty(last)} on ${day(lastWhen)} (${monthsBetween(lastWhen!, now)} months ago)` : 'no HbA1c on record';
      const why = `${diabetes.map(conditionName).join('; ')}; ${lastText}; interval ${h.months} months`;
      fire(h.id, why);
      const order: ServiceRequest = {
        resourceType: 'ServiceRequest',
        status: 'draft',
        intent: 'proposal',
        code: { coding: [{ system: LOINC, code: h.test.code, display: h.test.display }], text: 'HbA1c' },
        subject,
        authoredOn: now.toISOString(),
        reasonReference: diabetes.filter((d) => d.condition.id).map((d) => ({ reference: `Condition/${d.condition.id}` })),
        ...(requester ? { requester: { reference: requester } } : {}),
      };
      cards.push({
        summary: summary(last ? `HbA1c overdue: last ${qty(last)} on ${day(lastWhen)}, over ${h.months} months ago` : 'HbA1c overdue: diabetes and no HbA1c on record'),
        detail: [
          `**Diabetes:** ${diabetes.map(conditionName).join('; ')}.`,
          last ? `**Last HbA1c (LOINC ${h.test.code}):** ${qty(last)} on ${day(lastWhen)}.` : `**No HbA1c (LOINC ${h.test.code})** on record.`,
          `The ADA Standards of Care advise an HbA1c at least every ${h.months} months (quarterly when not at goal or after a change of therapy).`,
          `_Simplified:_ ${h.simplified}`,
        ].join('\n\n'),
        indicator: 'warning',
        source: cardSource(rules, h.source, h),
        suggestions: [{ label: 'Order HbA1c', isRecommended: true, actions: [{ type: 'create', description: 'Propose an HbA1c test (LOINC 4548-4)', resource: order }] }],
        selectionBehavior: 'at-most-one',
        overrideReasons: overrideReasons(rules, ['already-done-elsewhere', 'patient-declined', 'not-applicable', 'address-later']),
      });
    }
  }

  // (2) blood pressure above target on the last readings
  const b = rules.rules.bloodPressure;
  if (age !== undefined && age >= b.minAge) {
    const since = addMonths(now, -b.lookbackMonths);
    const readings = bpReadings(resourcesOf<Observation>(prefetch.bloodPressure, 'Observation'), b).filter((x) => x.when >= since && x.when <= now).slice(0, b.readings);
    if (readings.length >= b.minReadings) {
      const avg = (k: 'systolic' | 'diastolic') => Math.round(readings.reduce((s, x) => s + x[k], 0) / readings.length);
      const sys = avg('systolic');
      const dia = avg('diastolic');
      if (sys >= b.target.systolic || dia >= b.target.diastolic) {
        const hypertension = conditionsMatching(conditions, b.hypertension);
        const stage = sys >= b.stage2.systolic || dia >= b.stage2.diastolic ? 'stage 2' : 'stage 1';
        const list = readings.map((x) => `${x.systolic}/${x.diastolic} mmHg on ${day(x.when)}`).join(', ');
        const why = `average ${sys}/${dia} mmHg of ${readings.length} readings (${list}); target <${b.target.systolic}/${b.target.diastolic}; ${hypertension.length ? hypertension.map(conditionName).join('; ') : 'no hypertension on the problem list'}`;
        fire(b.id, why);
        cards.push({
          summary: summary(hypertension.length
            ? `BP above target: average ${sys}/${dia} mmHg over the last ${readings.length} readings (target <${b.target.systolic}/${b.target.diastolic})`
            : `BP in the ${stage} hypertension range: average ${sys}/${dia} mmHg over ${readings.length} readings; no hypertension diagnosis`),
          detail: [
            `**Last readings:** ${list}.`,
            `**Average:** ${sys}/${dia} mmHg (ACC/AHA 2017: ${stage}; target <${b.target.systolic}/${b.target.diastolic}).`,
            hypertension.length ? `**Hypertension:** ${hypertension.map(conditionName).join('; ')}.` : 'No hypertension on the problem list: confirm with out-of-office readings and consider the diagnosis.',
            `_Simplified:_ ${b.simplified}`,
          ].join('\n\n'),
          indicator: hypertension.length ? 'warning' : 'info',
          source: cardSource(rules, b.source, b),
          overrideReasons: overrideReasons(rules, ['not-applicable', 'address-later', 'already-done-elsewhere']),
        });
      }
    }
  }

  // (3) missing immunizations
  const immunizations = resourcesOf<Immunization>(prefetch.immunizations, 'Immunization').filter((i) => i.status === 'completed');
  const cvxSystem = rules.cvx!.system;
  const cvxDisplay = (code: string) => rules.cvx!.codes.find((c) => c.code === code)?.display ?? code;
  const missing: { rule: ImmunizationRule; why: string; last?: string }[] = [];
  if (age !== undefined) {
    for (const rule of rules.rules.immunizations) {
      if (age < rule.minAge) continue;
      let since: Date | undefined;
      let window = 'ever';
      if (rule.season) {
        const year = now.getUTCMonth() + 1 >= rule.season.startMonth ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
        since = new Date(Date.UTC(year, rule.season.startMonth - 1, 1));
        window = `the ${year}-${String((year + 1) % 100).padStart(2, '0')} season (since ${day(since)})`;
      } else if (rule.years) {
        since = addMonths(now, -12 * rule.years);
        window = `the last ${rule.years} years (since ${day(since)})`;
      }
      const doses = immunizations
        .filter((i) => codingIn(i.vaccineCode, cvxSystem, rule.cvx))
        .map((i) => ({ i, when: parseDate(i.occurrenceDateTime) }))
        .sort((x, y) => (y.when?.getTime() ?? 0) - (x.when?.getTime() ?? 0));
      const inWindow = doses.filter((d) => d.when && (!since || d.when >= since) && d.when <= now);
      if (inWindow.length) continue;
      const last = doses[0] ? `last ${cvxDisplay(codingIn(doses[0].i.vaccineCode, cvxSystem, rule.cvx)!.code!)} on ${day(doses[0].when)}` : undefined;
      const why = `age ${age}; no ${rule.title.toLowerCase()} (CVX ${rule.cvx.join(', ')}) in ${window}${last ? `; ${last}` : '; none on record'}`;
      fire(rule.id, why);
      missing.push({ rule, why, last });
    }
  }
  if (missing.length) {
    const names = missing.map((m) => m.rule.title.split(' ')[0]).join(', ');
    cards.push({
      summary: summary(`Immunizations due: ${names}`),
      detail: [
        ...missing.map((m) => `- **${m.rule.title}**: ${m.last ?? 'none on record'}. _${m.rule.simplified}_`),
        '',
        `Immunizations on record: ${immunizations.length ? immunizations.map((i) => `${i.vaccineCode?.coding?.[0]?.display ?? i.vaccineCode?.text ?? 'vaccine'} on ${i.occurrenceDateTime?.slice(0, 10) ?? '?'}`).join('; ') : 'none'}.`,
      ].join('\n'),
      indicator: 'info',
      source: cardSource(rules, missing[0].rule.source, missing.length === 1 ? missing[0].rule : { id: 'care-gap/immunizations', title: 'Adult immunizations' }),
      suggestions: missing.map((m) => ({
        label: m.rule.suggest.label,
        actions: [{
          type: 'create' as const,
          description: `Propose ${cvxDisplay(m.rule.suggest.cvx)} (CVX ${m.rule.suggest.cvx})`,
          resource: {
            resourceType: 'MedicationRequest',
            status: 'draft',
            intent: 'proposal',
            medicationCodeableConcept: { coding: [{ system: cvxSystem, code: m.rule.suggest.cvx, display: cvxDisplay(m.rule.suggest.cvx) }] },
            subject,
            authoredOn: now.toISOString(),
            ...(requester ? { requester: { reference: requester } } : {}),
          } satisfies MedicationRequest,
        }],
      })),
      selectionBehavior: 'any',
      overrideReasons: overrideReasons(rules, ['already-done-elsewhere', 'patient-declined', 'not-applicable', 'address-later']),
    });
  }

  // (4) 10-year CHD risk (ATP III Framingham points)
  const r = rules.rules.risk;
  const sex = patient?.gender === 'male' || patient?.gender === 'female' ? patient.gender : undefined;
  if (age !== undefined && sex) {
    const labSince = addMonths(now, -r.labMonths);
    const lipids = resourcesOf<Observation>(prefetch.lipids, 'Observation').filter((o) => (whenOf(o) ?? now) >= labSince);
    const tc = latest(lipids, r.cholesterol)[0];
    const hdl = latest(lipids, r.hdl)[0];
    const bp = bpReadings(resourcesOf<Observation>(prefetch.bloodPressure, 'Observation'), rules.rules.bloodPressure).filter((x) => x.when <= now)[0];
    const smokingObs = latest(resourcesOf<Observation>(prefetch.smoking, 'Observation'), r.smokingStatus)[0];
    const tcValue = tc?.valueQuantity?.value;
    const hdlValue = hdl?.valueQuantity?.value;
    if (tcValue !== undefined && hdlValue !== undefined && bp) {
      const treatedBy = antihypertensive(resourcesOf<MedicationRequest>(prefetch.medications, 'MedicationRequest'), r);
      const smokerKnown = smokingObs?.valueCodeableConcept !== undefined;
      const smoker = smokerKnown && r.currentSmoker.some((c) => codingIn(smokingObs!.valueCodeableConcept, c.system, [c.code]));
      const inputs: RiskInputs = { sex, age, totalCholesterol: tcValue, hdl: hdlValue, systolic: bp.systolic, treated: !!treatedBy, smoker };
      const score = framinghamAtp3(inputs, r);
      if (score) {
        const asSmoker = smokerKnown ? undefined : framinghamAtp3({ ...inputs, smoker: true }, r);
        const ifSmoker = asSmoker && asSmoker.risk !== score.risk ? asSmoker : undefined;
        const diabetic = conditionsMatching(conditions, r.diabetes);
        const drug = treatedBy?.medicationCodeableConcept?.coding?.[0]?.display ?? treatedBy?.medicationCodeableConcept?.text;
        const inputsText = [
          `age ${age}, ${sex}`,
          `total cholesterol ${qty(tc)} on ${day(whenOf(tc))}`,
          `HDL ${qty(hdl)} on ${day(whenOf(hdl))}`,
          `systolic ${bp.systolic} mmHg on ${day(bp.when)} (${treatedBy ? `treated: ${drug}` : 'untreated'})`,
          smokerKnown ? `smoking status ${smokingObs!.valueCodeableConcept?.coding?.[0]?.display ?? smokingObs!.valueCodeableConcept?.text ?? ''} on ${day(whenOf(smokingObs!))} (${smoker ? 'current smoker' : 'not a current smoker'})` : 'smoking status not recorded (scored as nonsmoker)',
        ];
        const why = `${score.points} points → ${score.risk}% 10-year hard CHD risk; ${inputsText.join('; ')}${diabetic.length ? '; diabetes (CHD risk equivalent in ATP III)' : ''}`;
        fire(r.id, why);
        const b2 = score.breakdown;
        cards.push({
          summary: summary(`10-year CHD risk ${score.risk}% (Framingham/ATP III, ${score.points} points)${diabetic.length ? '; diabetes is a CHD risk equivalent' : ''}${ifSmoker ? `; ${ifSmoker.risk}% if a smoker` : ''}`),
          detail: [
            `**Inputs:** ${inputsText.join('; ')}.`,
            `**Points:** age ${b2.age}, total cholesterol ${b2.cholesterol}, smoking ${b2.smoking}, HDL ${b2.hdl}, systolic BP ${b2.systolic} = **${score.points}** → **${score.risk}%** (NCEP ATP III table, ${sex === 'male' ? 'men' : 'women'}).`,
            asSmoker ? `Smoking status is not recorded: as a current smoker the score would be ${asSmoker.points} points, ${asSmoker.risk}%.` : '',
            diabetic.length ? `**Diabetes** (${diabetic.map(conditionName).join('; ')}): ATP III counts it as a CHD risk equivalent (10-year risk > 20%); the point score does not include it and underestimates the risk.` : '',
            `_Simplified:_ ${r.simplified}`,
          ].filter(Boolean).join('\n\n'),
          indicator: score.percent >= r.warningAtPercent || diabetic.length ? 'warning' : 'info',
          source: cardSource(rules, r.source, r),
        });
      }
    }
  }

  // care gaps are closed elsewhere: an order in prescribing, a visit (lab, vaccination) in scheduling
  for (const card of cards) {
    const rule = card.source.topic?.code ?? '';
    if (rule === rules.rules.bloodPressure.id) withLinks(card, appLink(input, 'prescribing', 'Review antihypertensives in prescribing'));
    else if (rule.startsWith('risk/')) withLinks(card, appLink(input, 'prescribing', 'Consider a statin in prescribing'));
    else if (rule === rules.rules.hba1c.id) withLinks(card, appLink(input, 'scheduling', 'Book a lab visit'));
    else withLinks(card, appLink(input, 'scheduling', 'Book a vaccination visit'));
  }
  return { cards, fired };
}

export const PATIENT_VIEW_SERVICE: CdsService = patientViewService();
