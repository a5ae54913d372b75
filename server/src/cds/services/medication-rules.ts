// Medication rules of the order-select and order-sign services: drug-drug interactions, duplicate therapy,
// drug-allergy and class cross-sensitivity, dose range for age and weight, renal dosing. The rules are data
// (../rules/medication-interactions.json, allergy-classes.json, dose-ranges.json, renal-dosing.json), checked
// at load against the shipped terminology (RxNorm ingredients and SCDs, the Meridian drug-class hierarchy,
// SNOMED CT substances): a rules file naming a code the terminology lacks stops the server, loudly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { appLink, withLinks } from './links.js';
import type { AllergyIntolerance, Bundle, CodeableConcept, Coding, Dosage, Medication, MedicationRequest, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { shippedTerminology, type ShippedTerminology } from '../../terminology/index.js';
import { CDS_RULE_SYSTEM } from '../records.js';
import type { CdsAction, CdsCard, CdsInput, CdsServiceResult, CdsSuggestion, FiredRule } from '../types.js';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const DRUG_CLASS = 'https://meridian.dev/fhir/CodeSystem/drug-class';
export const OVERRIDE_REASON_SYSTEM = 'https://meridian.dev/fhir/CodeSystem/cds-override-reason';
/** Card topics: the id of the rule that made the card (the system the decision records use). */
export const RULE_SYSTEM = CDS_RULE_SYSTEM;
const SUBSTANCE = '105590001';
const ANAPHYLAXIS = '39579001';
const WEIGHT = '29463-7';
const CREATININE = '2160-0';
const EGFR = ['62238-1', '98979-8', '33914-3'];
const SOURCE_LABEL = 'Meridian medication rules';

/** Why a clinician may override a medication card (CDS Hooks overrideReasons; feedback carries the chosen one). */
export const OVERRIDE_REASONS: Coding[] = [
  { system: OVERRIDE_REASON_SYSTEM, code: 'benefit-outweighs-risk', display: 'Benefit outweighs the risk' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'patient-tolerated-before', display: 'Patient has tolerated this before' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'will-monitor', display: 'Will monitor (labs, levels or symptoms)' },
  { system: OVERRIDE_REASON_SYSTEM, code: 'not-applicable', display: 'Does not apply to this patient' },
];

/** The prefetch templates both medication services declare. */
export const MEDICATION_PREFETCH: Record<string, string> = {
  patient: 'Patient/{{context.patientId}}',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
  allergies: 'AllergyIntolerance?patient={{context.patientId}}',
  weight: `Observation?patient={{context.patientId}}&code=${LOINC}|${WEIGHT}&_sort=-date&_count=1`,
  renal: `Observation?patient={{context.patientId}}&code=${[CREATININE, ...EGFR].map((c) => `${LOINC}|${c}`).join(',')}&_sort=-date&_count=5`,
};

// ---- the rules files ----

export interface RuleSource {
  id: string;
  title: string;
  url: string;
}

export interface RulesFile<R> {
  version: string;
  description?: string;
  sources: RuleSource[];
  rules: R[];
}

/** Drugs named by RxNorm ingredient (IN) or by Meridian drug class (a class matches its descendants). */
export interface DrugSet {
  ingredients?: string[];
  classes?: string[];
  exceptIngredients?: string[];
}

export interface Alternative {
  /** Which draft drugs this alternative replaces. */
  replaces: DrugSet;
  /** An RxNorm SCD. */
  rxnorm: string;
  dosage?: string;
}

export interface InteractionRule {
  id: string;
  type: 'interaction';
  a: DrugSet;
  b: DrugSet;
  severity: 'contraindicated' | 'major' | 'moderate';
  effect: string;
  summary: string;
  mechanism: string;
  management: string;
  source: string;
  alternatives?: Alternative[];
}

export interface DuplicateRule {
  id: string;
  type: 'duplicate-ingredient' | 'duplicate-class';
  /** For duplicate-class: the therapeutic classes whose duplication is flagged. */
  classes?: string[];
  severity: 'major' | 'moderate';
  summary: string;
  management: string;
  source: string;
}

export interface AllergyRule {
  id: string;
  /** The allergen: a SNOMED CT substance (its descendants too), or RxNorm "*" with avoid.sameIngredient. */
  substance: { system: string; code: string };
  avoid: DrugSet & { sameIngredient?: boolean };
  crossSensitive?: DrugSet;
  crossNote?: string;
  source: string;
  alternatives?: Alternative[];
}

export interface DoseLimits {
  maxSingleMg?: number;
  maxDailyMg?: number;
  maxSingleMgPerKg?: number;
  maxDailyMgPerKg?: number;
}

export interface DoseRule {
  id: string;
  ingredient: string;
  adult: DoseLimits;
  /** Under 18 years: per-kg limits (need a body weight) and absolute caps; the adult limits cap children too. */
  child?: DoseLimits;
  minAge?: { years: number; severity: 'contraindicated' | 'caution'; advice: string };
  note?: string;
  source: string;
}

export interface Strength {
  form: string;
  /** mg of each ingredient per unit of the dose form. */
  ingredients: Record<string, number>;
}

export interface RenalRule {
  id: string;
  drug: DrugSet;
  /** Fires when eGFR < below (and >= atLeast when given). */
  below: number;
  atLeast?: number;
  action: 'contraindicated' | 'avoid' | 'reduce' | 'caution';
  advice: string;
  source: string;
}

export interface MedicationRules {
  interactions: RulesFile<InteractionRule | DuplicateRule> & { file: string };
  allergies: RulesFile<AllergyRule> & { file: string };
  doses: RulesFile<DoseRule> & { file: string; strengths: Record<string, Strength> };
  renal: RulesFile<RenalRule> & { file: string };
}

export const RULES_DIR = fileURLToPath(new URL('../rules/', import.meta.url));
export const RULE_FILES = {
  interactions: 'medication-interactions.json',
  allergies: 'allergy-classes.json',
  doses: 'dose-ranges.json',
  renal: 'renal-dosing.json',
} as const;

/** Reads the four rules files (not checked: see checkMedicationRules). */
export function readMedicationRules(dir = RULES_DIR): MedicationRules {
  const read = (file: string) => ({ ...(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as object), file });
  return {
    interactions: read(RULE_FILES.interactions) as MedicationRules['interactions'],
    allergies: read(RULE_FILES.allergies) as MedicationRules['allergies'],
    doses: read(RULE_FILES.doses) as MedicationRules['doses'],
    renal: read(RULE_FILES.renal) as MedicationRules['renal'],
  };
}

/** Every problem of the rules: shape, ids, sources, and each code checked against the terminology. Empty when all is well. */
export function checkMedicationRules(rules: MedicationRules, terminology: ShippedTerminology = shippedTerminology()): string[] {
  const problems: string[] = [];
  const rx = terminology.codeSystem(RXNORM);
  const classes = terminology.codeSystem(DRUG_CLASS);
  const snomed = terminology.codeSystem(SNOMED);
  if (!rx || !classes || !snomed) return [`the shipped terminology lacks ${[!rx && RXNORM, !classes && DRUG_CLASS, !snomed && SNOMED].filter(Boolean).join(', ')}`];
  const substances = snomed.descendants(SUBSTANCE);
  const tty = (code: string) => rx.get(code)?.property.find((p) => p.code === 'tty')?.valueCode;
  const ingredient = (where: string, code: string) => {
    const c = rx.get(code);
    if (!c) problems.push(`${where}: RxNorm ${code} is not in the shipped RxNorm`);
    else if (c.inactive) problems.push(`${where}: RxNorm ${code} is inactive`);
    else if (tty(code) !== 'IN') problems.push(`${where}: RxNorm ${code} is a ${tty(code)}, not an ingredient (IN)`);
  };
  const drugClass = (where: string, code: string) => {
    if (!classes.get(code)) problems.push(`${where}: drug class ${code} is not in ${DRUG_CLASS}`);
  };
  const drugSet = (where: string, set: DrugSet | undefined, required = true) => {
    if (!set) {
      if (required) problems.push(`${where}: missing`);
      return;
    }
    if (required && !set.ingredients?.length && !set.classes?.length) problems.push(`${where}: names no ingredient and no class`);
    for (const c of set.ingredients ?? []) ingredient(where, c);
    for (const c of set.exceptIngredients ?? []) ingredient(where, c);
    for (const c of set.classes ?? []) drugClass(where, c);
  };
  const alternatives = (where: string, list: Alternative[] | undefined) => {
    for (const [i, alt] of (list ?? []).entries()) {
      drugSet(`${where} alternatives[${i}].replaces`, alt.replaces);
      const c = rx.get(alt.rxnorm);
      if (!c) problems.push(`${where} alternatives[${i}]: RxNorm ${alt.rxnorm} is not in the shipped RxNorm`);
      else if (c.inactive || !['SCD', 'IN'].includes(tty(alt.rxnorm) ?? '')) problems.push(`${where} alternatives[${i}]: RxNorm ${alt.rxnorm} is not an active SCD or IN`);
    }
  };
  const file = <R extends { id: string; source: string }>(f: RulesFile<R> & { file: string }, each: (rule: R, where: string) => void) => {
    if (typeof f.version !== 'string' || !f.version) problems.push(`${f.file}: no version`);
    if (!Array.isArray(f.sources) || !f.sources.length) problems.push(`${f.file}: no sources`);
    for (const s of f.sources ?? []) if (!s.id || !s.title || !/^https?:\/\//.test(s.url ?? '')) problems.push(`${f.file}: source ${JSON.stringify(s.id)} needs an id, a title and an http(s) url`);
    if (!Array.isArray(f.rules)) {
      problems.push(`${f.file}: no rules`);
      return;
    }
    const ids = new Set<string>();
    for (const rule of f.rules) {
      const where = `${f.file} ${rule.id}`;
      if (!rule.id) problems.push(`${f.file}: a rule without an id`);
      if (ids.has(rule.id)) problems.push(`${where}: duplicate rule id`);
      ids.add(rule.id);
      if (!f.sources?.some((s) => s.id === rule.source)) problems.push(`${where}: source ${JSON.stringify(rule.source)} is not among the file's sources`);
      each(rule, where);
    }
  };

  file(rules.interactions, (rule, where) => {
    if (rule.type === 'interaction') {
      drugSet(`${where} a`, rule.a);
      drugSet(`${where} b`, rule.b);
      if (!['contraindicated', 'major', 'moderate'].includes(rule.severity)) problems.push(`${where}: severity ${rule.severity}`);
      alternatives(where, rule.alternatives);
    } else if (rule.type === 'duplicate-class') {
      if (!rule.classes?.length) problems.push(`${where}: names no class`);
      for (const c of rule.classes ?? []) drugClass(where, c);
    } else if (rule.type !== 'duplicate-ingredient') problems.push(`${where}: unknown type ${(rule as { type: string }).type}`);
  });
  file(rules.allergies, (rule, where) => {
    const { system, code } = rule.substance ?? {};
    if (system === SNOMED) {
      if (!snomed.get(code)) problems.push(`${where}: SNOMED CT ${code} is not in the shipped SNOMED CT`);
      else if (!substances.has(code)) problems.push(`${where}: SNOMED CT ${code} is not a substance (below ${SUBSTANCE})`);
      drugSet(`${where} avoid`, rule.avoid);
    } else if (system === RXNORM) {
      if (code !== '*' || !rule.avoid?.sameIngredient) problems.push(`${where}: an RxNorm allergen rule must be code "*" with avoid.sameIngredient`);
    } else problems.push(`${where}: allergen system ${system} is neither SNOMED CT nor RxNorm`);
    drugSet(`${where} crossSensitive`, rule.crossSensitive, false);
    alternatives(where, rule.alternatives);
  });
  for (const [scd, strength] of Object.entries(rules.doses.strengths ?? {})) {
    const where = `${rules.doses.file} strengths ${scd}`;
    const c = rx.get(scd);
    if (!c) {
      problems.push(`${where}: RxNorm ${scd} is not in the shipped RxNorm`);
      continue;
    }
    if (tty(scd) !== 'SCD') problems.push(`${where}: RxNorm ${scd} is not an SCD`);
    const has = c.property.filter((p) => p.code === 'has_ingredient').map((p) => p.valueCode);
    for (const [ing, mg] of Object.entries(strength.ingredients ?? {})) {
      if (!has.includes(ing)) problems.push(`${where}: ${ing} is not an ingredient of ${scd} (has_ingredient ${has.join(', ')})`);
      if (!(typeof mg === 'number' && mg > 0)) problems.push(`${where}: strength of ${ing} must be a positive number of mg`);
    }
  }
  file(rules.doses, (rule, where) => {
    ingredient(where, rule.ingredient);
    if (!rule.adult) problems.push(`${where}: no adult limits`);
    for (const limits of [rule.adult, rule.child]) for (const v of Object.values(limits ?? {})) if (!(typeof v === 'number' && v > 0)) problems.push(`${where}: limits must be positive numbers`);
  });
  file(rules.renal, (rule, where) => {
    drugSet(`${where} drug`, rule.drug);
    if (!(rule.below > (rule.atLeast ?? 0))) problems.push(`${where}: below must be above atLeast`);
    if (!['contraindicated', 'avoid', 'reduce', 'caution'].includes(rule.action)) problems.push(`${where}: action ${rule.action}`);
  });
  return problems;
}

/** Reads and checks the rules; throws, naming every problem, when they do not match the terminology. */
export function loadMedicationRules(dir = RULES_DIR, terminology: ShippedTerminology = shippedTerminology()): MedicationRules {
  const rules = readMedicationRules(dir);
  const problems = checkMedicationRules(rules, terminology);
  if (problems.length) throw new Error(`Medication rules (${dir}) do not match the shipped terminology:\n  - ${problems.join('\n  - ')}`);
  return rules;
}

/** The process's checked rules, loaded when the services are: a rules file that does not match the terminology stops the server from starting. */
export const MEDICATION_RULES: MedicationRules = loadMedicationRules();

// ---- the facts the rules read ----

/** A medication order with what the terminology says of its drug. */
export interface Drug {
  order: MedicationRequest;
  /** "MedicationRequest/<id>", when it has an id. */
  ref?: string;
  draft: boolean;
  coding?: Coding;
  /** The drug's name: the RxNorm display, else the order's. */
  name: string;
  /** Ingredient names joined, for short summaries. */
  short: string;
  ingredients: Set<string>;
  /** Its classes and every broader class. */
  classes: Set<string>;
}

function medicationConcept(order: MedicationRequest): CodeableConcept | undefined {
  if (order.medicationCodeableConcept) return order.medicationCodeableConcept;
  const ref = order.medicationReference?.reference;
  if (ref?.startsWith('#')) return (order.contained?.find((r) => r.resourceType === 'Medication' && r.id === ref.slice(1)) as Medication | undefined)?.code;
  return undefined;
}

export function drugOf(order: MedicationRequest, draft: boolean, terminology: ShippedTerminology = shippedTerminology()): Drug {
  const rx = terminology.codeSystem(RXNORM);
  const classIndex = terminology.codeSystem(DRUG_CLASS);
  const concept = medicationConcept(order);
  const coding = concept?.coding?.find((c) => c.system === RXNORM && c.code);
  const found = coding?.code ? rx?.get(coding.code) : undefined;
  const ingredients = new Set<string>();
  const classes = new Set<string>();
  if (found) {
    const values = (code: string) => found.property.filter((p) => p.code === code && p.valueCode).map((p) => p.valueCode!);
    const tty = values('tty')[0];
    if (tty === 'IN') ingredients.add(found.code);
    for (const i of values('has_ingredient')) ingredients.add(i);
    for (const c of values('drug_class')) classes.add(c);
    for (const i of ingredients) for (const p of rx?.get(i)?.property ?? []) if (p.code === 'drug_class' && p.valueCode) classes.add(p.valueCode);
    for (const c of [...classes]) for (const a of classIndex?.ancestors(c) ?? []) classes.add(a);
  }
  const name = found?.display ?? coding?.display ?? concept?.text ?? 'unnamed medication';
  const short = [...ingredients].map((i) => rx?.get(i)?.display ?? i).join(' / ') || name;
  return { order, ref: order.id ? `MedicationRequest/${order.id}` : undefined, draft, coding, name, short, ingredients, classes };
}

/** How a drug matches a set ("ingredient warfarin", "class nsaid (…)"), or undefined when it does not. */
export function matchDrug(drug: Drug, set: DrugSet, terminology: ShippedTerminology = shippedTerminology()): string | undefined {
  if (set.exceptIngredients?.some((i) => drug.ingredients.has(i))) return undefined;
  const ing = set.ingredients?.find((i) => drug.ingredients.has(i));
  if (ing) return `ingredient ${terminology.codeSystem(RXNORM)?.get(ing)?.display ?? ing} (RxNorm ${ing})`;
  const cls = set.classes?.find((c) => drug.classes.has(c));
  if (cls) return `class ${terminology.codeSystem(DRUG_CLASS)?.get(cls)?.display ?? cls} (\`${cls}\`)`;
  return undefined;
}

export function resourcesOf<T extends Resource>(value: Resource | Bundle | null | undefined, type: T['resourceType']): T[] {
  if (!value) return [];
  if (value.resourceType === 'Bundle') return ((value as Bundle).entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
  return value.resourceType === type ? [value as T] : [];
}

const observationDate = (o: Observation) => o.effectiveDateTime ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued ?? '';
const hasLoinc = (o: Observation, codes: string[]) => o.code?.coding?.some((c) => c.system === LOINC && codes.includes(c.code ?? '')) ?? false;
const usable = (o: Observation) => !['entered-in-error', 'cancelled', 'preliminary', 'registered'].includes(o.status) && typeof o.valueQuantity?.value === 'number';
const latest = (list: Observation[]) => [...list].sort((a, b) => observationDate(b).localeCompare(observationDate(a)))[0];
const day = (date: string) => date.slice(0, 10) || 'an unknown date';

export interface PatientFacts {
  patient?: Patient;
  ageYears?: number;
  weight?: { kg: number; date: string };
  renal?: { egfr: number; date: string; text: string };
  allergies: AllergyIntolerance[];
  active: Drug[];
}

function ageOn(birthDate: string | undefined, now: Date): number | undefined {
  if (!birthDate || !/^\d{4}/.test(birthDate)) return undefined;
  const [y, m = '07', d = '01'] = birthDate.split('-'); // partial dates: the middle of the period
  const born = Date.UTC(Number(y), Number(m) - 1, Number(d));
  return (now.getTime() - born) / (365.25 * 86_400_000);
}

function weightOf(list: Observation[]): PatientFacts['weight'] {
  const o = latest(list.filter((x) => hasLoinc(x, [WEIGHT]) && usable(x)));
  if (!o) return undefined;
  const q = o.valueQuantity!;
  const unit = (q.code ?? q.unit ?? 'kg').toLowerCase();
  const factor = unit === 'kg' ? 1 : unit === 'g' ? 0.001 : ['[lb_av]', 'lb', 'lbs'].includes(unit) ? 0.45359237 : undefined;
  return factor ? { kg: q.value! * factor, date: observationDate(o) } : undefined;
}

/** CKD-EPI 2021 (creatinine, mg/dL, no race term); adults only. */
export function ckdEpi2021(creatinineMgDl: number, ageYears: number, female: boolean): number {
  const k = female ? 0.7 : 0.9;
  const a = female ? -0.241 : -0.302;
  const r = creatinineMgDl / k;
  return 142 * Math.min(r, 1) ** a * Math.max(r, 1) ** -1.2 * 0.9938 ** ageYears * (female ? 1.012 : 1);
}

function renalOf(list: Observation[], patient: Patient | undefined, ageYears: number | undefined): PatientFacts['renal'] {
  const o = latest(list.filter((x) => hasLoinc(x, [CREATININE, ...EGFR]) && usable(x)));
  if (!o) return undefined;
  const q = o.valueQuantity!;
  const date = observationDate(o);
  const code = o.code.coding!.find((c) => c.system === LOINC && [CREATININE, ...EGFR].includes(c.code ?? ''))!.code!;
  if (EGFR.includes(code)) {
    const v = q.value!;
    return { egfr: v, date, text: `eGFR ${v} mL/min/1.73m2 on ${day(date)} (LOINC ${code})` };
  }
  // A creatinine: estimate the eGFR (adults with a recorded sex only).
  const unit = (q.code ?? q.unit ?? '').toLowerCase();
  const mgdl = unit === 'mg/dl' ? q.value! : ['umol/l', 'µmol/l'].includes(unit) ? q.value! / 88.42 : undefined;
  const gender = patient?.gender;
  if (mgdl === undefined || ageYears === undefined || ageYears < 18 || (gender !== 'male' && gender !== 'female')) return undefined;
  const egfr = Math.round(ckdEpi2021(mgdl, ageYears, gender === 'female'));
  return {
    egfr,
    date,
    text: `eGFR ${egfr} mL/min/1.73m2 estimated (CKD-EPI 2021, ${gender}, age ${Math.floor(ageYears)}) from serum creatinine ${q.value} ${q.unit ?? q.code} on ${day(date)} (LOINC ${CREATININE})`,
  };
}

const INACTIVE_ORDER = ['stopped', 'cancelled', 'completed', 'entered-in-error', 'draft'];

export function patientFacts(input: CdsInput, draftRefs: Set<string>): PatientFacts {
  const patient = resourcesOf<Patient>(input.prefetch.patient, 'Patient')[0];
  const ageYears = ageOn(patient?.birthDate, input.now);
  const active = resourcesOf<MedicationRequest>(input.prefetch.medications, 'MedicationRequest')
    .filter((m) => !INACTIVE_ORDER.includes(m.status) && !(m.id && draftRefs.has(`MedicationRequest/${m.id}`)))
    .map((m) => drugOf(m, false));
  const allergies = resourcesOf<AllergyIntolerance>(input.prefetch.allergies, 'AllergyIntolerance').filter((a) => {
    const clinical = a.clinicalStatus?.coding?.map((c) => c.code) ?? [];
    const verification = a.verificationStatus?.coding?.map((c) => c.code) ?? [];
    return !clinical.some((c) => c === 'inactive' || c === 'resolved') && !verification.some((c) => c === 'refuted' || c === 'entered-in-error');
  });
  return {
    patient,
    ageYears,
    weight: weightOf(resourcesOf<Observation>(input.prefetch.weight, 'Observation')),
    renal: renalOf(resourcesOf<Observation>(input.prefetch.renal, 'Observation'), patient, ageYears),
    allergies,
    active,
  };
}

// ---- cards ----

const truncate = (s: string, n = 140) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const orderLabel = (d: Drug) => `${d.draft ? 'draft order' : 'active order'} ${d.ref ?? '(no id)'}: ${d.name}${d.coding?.code ? ` (RxNorm ${d.coding.code})` : ''}${!d.draft && d.order.authoredOn ? `, authored ${day(d.order.authoredOn)}` : ''}`;

function sourceLine(file: { file: string; version: string; sources: RuleSource[] }, ruleId: string, sourceId: string): string {
  const s = file.sources.find((x) => x.id === sourceId);
  return `Rule \`${ruleId}\` of ${file.file} version ${file.version}${s ? `; source: [${s.title}](${s.url})` : ''}.`;
}

function cardSource(file: { sources: RuleSource[] }, ruleId: string, sourceId: string, display: string): CdsCard['source'] {
  const url = file.sources.find((x) => x.id === sourceId)?.url;
  return { label: SOURCE_LABEL, ...(url ? { url } : {}), topic: { system: RULE_SYSTEM, code: ruleId, display } };
}

function removeSuggestion(draft: Drug): CdsSuggestion[] {
  if (!draft.ref) return [];
  return [{ label: `Remove the draft order for ${draft.short}`, actions: [{ type: 'delete', description: `Remove the draft order for ${draft.name}`, resourceId: [draft.ref] }] }];
}

function replaceSuggestions(draft: Drug, alternatives: Alternative[] | undefined, terminology: ShippedTerminology): CdsSuggestion[] {
  const out: CdsSuggestion[] = [];
  for (const alt of alternatives ?? []) {
    if (!matchDrug(draft, alt.replaces, terminology)) continue;
    const display = terminology.codeSystem(RXNORM)?.get(alt.rxnorm)?.display ?? alt.rxnorm;
    const replaced: MedicationRequest = {
      ...draft.order,
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: alt.rxnorm, display }], text: display },
      medicationReference: undefined,
      dosageInstruction: alt.dosage ? [{ text: alt.dosage }] : undefined,
    };
    delete replaced.medicationReference;
    if (!alt.dosage) delete replaced.dosageInstruction;
    const action: CdsAction = draft.order.id
      ? { type: 'update', description: `Replace ${draft.name} with ${display} in the draft order`, resource: replaced }
      : { type: 'create', description: `Order ${display} instead of ${draft.name}`, resource: replaced };
    out.push({ label: `Replace ${draft.short} with ${display}`, isRecommended: true, actions: [action] });
  }
  return out;
}

function card(c: Omit<CdsCard, 'summary' | 'overrideReasons'> & { summary: string }): CdsCard {
  const out: CdsCard = { ...c, summary: truncate(c.summary), overrideReasons: OVERRIDE_REASONS };
  if (out.suggestions?.length) out.selectionBehavior = 'at-most-one';
  else delete out.suggestions;
  return out;
}

// ---- the rules ----

interface Context {
  rules: MedicationRules;
  terminology: ShippedTerminology;
  facts: PatientFacts;
  cards: CdsCard[];
  fired: FiredRule[];
  seen: Set<string>;
}

function fire(ctx: Context, key: string, rule: string, version: string, why: string, made: CdsCard): void {
  if (ctx.seen.has(key)) return;
  ctx.seen.add(key);
  ctx.cards.push(made);
  ctx.fired.push({ rule, version, why });
}

const pairKey = (rule: string, a: Drug, b: Drug) => `${rule} ${[a.ref ?? a.name, b.ref ?? b.name].sort().join(' ')}`;

function interactionsAndDuplicates(ctx: Context, draft: Drug, others: Drug[]): void {
  const file = ctx.rules.interactions;
  for (const other of others) {
    let sameIngredient = false;
    for (const rule of file.rules) {
      if (rule.type === 'interaction') {
        let mine = matchDrug(draft, rule.a, ctx.terminology);
        let theirs = mine && matchDrug(other, rule.b, ctx.terminology);
        if (!mine || !theirs) {
          mine = matchDrug(draft, rule.b, ctx.terminology);
          theirs = mine && matchDrug(other, rule.a, ctx.terminology);
        }
        if (!mine || !theirs) continue;
        const critical = rule.severity === 'contraindicated';
        const why = `${draft.ref ?? 'draft'} ${draft.name} (${mine}) with ${other.draft ? 'draft' : 'active'} ${other.ref ?? ''} ${other.name} (${theirs}): ${rule.effect}`;
        fire(ctx, pairKey(rule.id, draft, other), rule.id, file.version, why, card({
          summary: `${capital(rule.severity === 'contraindicated' ? 'contraindicated interaction' : 'interaction')}: ${draft.short} + ${other.short}: ${rule.summary}`,
          indicator: critical ? 'critical' : 'warning',
          detail: [
            `**Drug interaction (${rule.severity}): ${rule.effect}**`,
            '',
            `- The ${orderLabel(draft)}, matched as ${mine}`,
            `- With the ${orderLabel(other)}, matched as ${theirs}`,
            '',
            `**Why**: ${rule.mechanism}`,
            '',
            `**What to do**: ${rule.management}`,
            '',
            sourceLine(file, rule.id, rule.source),
          ].join('\n'),
          source: cardSource(file, rule.id, rule.source, `Drug interaction: ${rule.effect}`),
          suggestions: [...replaceSuggestions(draft, rule.alternatives, ctx.terminology), ...removeSuggestion(draft)],
        }));
      } else if (rule.type === 'duplicate-ingredient') {
        const shared = [...draft.ingredients].filter((i) => other.ingredients.has(i));
        if (!shared.length) continue;
        sameIngredient = true;
        const names = shared.map((i) => ctx.terminology.codeSystem(RXNORM)?.get(i)?.display ?? i).join(', ');
        const why = `${draft.ref ?? 'draft'} ${draft.name} and ${other.draft ? 'draft' : 'active'} ${other.ref ?? ''} ${other.name} share the ingredient ${names} (RxNorm ${shared.join(', ')})`;
        fire(ctx, pairKey(rule.id, draft, other), rule.id, file.version, why, card({
          summary: `Duplicate therapy: ${draft.short} is already ${other.draft ? 'in another draft order' : 'an active order'}`,
          indicator: 'warning',
          detail: [`**Duplicate therapy: same ingredient (${names})**`, '', `- The ${orderLabel(draft)}`, `- The ${orderLabel(other)}`, '', `**What to do**: ${rule.management}`, '', sourceLine(file, rule.id, rule.source)].join('\n'),
          source: cardSource(file, rule.id, rule.source, 'Duplicate therapy: same ingredient'),
          suggestions: removeSuggestion(draft),
        }));
      } else if (rule.type === 'duplicate-class') {
        if (sameIngredient) continue; // the same ingredient says it already
        const shared = (rule.classes ?? []).filter((c) => draft.classes.has(c) && other.classes.has(c));
        if (!shared.length || [...draft.ingredients].some((i) => other.ingredients.has(i))) continue;
        const names = shared.map((c) => `${ctx.terminology.codeSystem(DRUG_CLASS)?.get(c)?.display ?? c} (\`${c}\`)`).join(', ');
        const why = `${draft.ref ?? 'draft'} ${draft.name} and ${other.draft ? 'draft' : 'active'} ${other.ref ?? ''} ${other.name} are both of the class ${shared.join(', ')}`;
        fire(ctx, pairKey(rule.id, draft, other), rule.id, file.version, why, card({
          summary: `Duplicate therapy: ${draft.short} and ${other.short} are both ${ctx.terminology.codeSystem(DRUG_CLASS)?.get(shared[0])?.display ?? shared[0]}`,
          indicator: 'warning',
          detail: [`**Duplicate therapy: same class, ${names}**`, '', `- The ${orderLabel(draft)}`, `- The ${orderLabel(other)}`, '', `**What to do**: ${rule.management}`, '', sourceLine(file, rule.id, rule.source)].join('\n'),
          source: cardSource(file, rule.id, rule.source, 'Duplicate therapy: same class'),
          suggestions: removeSuggestion(draft),
        }));
      }
    }
  }
}

function allergyText(a: AllergyIntolerance): string {
  const coding = a.code?.coding?.[0];
  const what = a.code?.text ?? coding?.display ?? coding?.code ?? 'an allergen';
  const reactions = (a.reaction ?? []).flatMap((r) => (r.manifestation ?? []).map((m) => m.text ?? m.coding?.[0]?.display ?? m.coding?.[0]?.code)).filter(Boolean);
  const when = a.recordedDate ?? a.onsetDateTime;
  return `${a.type ?? 'allergy'} to ${what}${coding?.code ? ` (${coding.system === SNOMED ? 'SNOMED CT' : coding.system === RXNORM ? 'RxNorm' : coding.system} ${coding.code})` : ''}${a.criticality ? `, criticality ${a.criticality}` : ''}${reactions.length ? `, reactions: ${reactions.join(', ')}` : ''}${when ? `, recorded ${day(when)}` : ''}${a.id ? ` (AllergyIntolerance/${a.id})` : ''}`;
}

const severe = (a: AllergyIntolerance) =>
  a.criticality === 'high' ||
  (a.reaction ?? []).some((r) => r.severity === 'severe' || (r.manifestation ?? []).some((m) => m.coding?.some((c) => c.system === SNOMED && c.code === ANAPHYLAXIS)));

function allergies(ctx: Context, draft: Drug): void {
  const file = ctx.rules.allergies;
  const snomed = ctx.terminology.codeSystem(SNOMED);
  const rx = ctx.terminology.codeSystem(RXNORM);
  for (const allergy of ctx.facts.allergies) {
    for (const coding of allergy.code?.coding ?? []) {
      for (const rule of file.rules) {
        let direct: string | undefined;
        let cross: string | undefined;
        if (rule.substance.system === SNOMED && coding.system === SNOMED && coding.code) {
          if (coding.code !== rule.substance.code && !snomed?.descendants(rule.substance.code).has(coding.code)) continue;
          direct = matchDrug(draft, rule.avoid, ctx.terminology);
          cross = direct ? undefined : rule.crossSensitive && matchDrug(draft, rule.crossSensitive, ctx.terminology);
        } else if (rule.substance.system === RXNORM && rule.avoid.sameIngredient && coding.system === RXNORM && coding.code) {
          const allergen = drugOf({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: {}, medicationCodeableConcept: { coding: [coding] } }, false, ctx.terminology);
          const shared = [...allergen.ingredients].filter((i) => draft.ingredients.has(i));
          if (shared.length) direct = `ingredient ${shared.map((i) => rx?.get(i)?.display ?? i).join(', ')} (RxNorm ${shared.join(', ')})`;
        } else continue;
        if (!direct && !cross) continue;
        const critical = !!direct || severe(allergy);
        const allergen = allergy.code?.text ?? coding.display ?? snomed?.get(coding.code ?? '')?.display ?? coding.code;
        const why = `${draft.ref ?? 'draft'} ${draft.name} (${direct ?? cross}) against the recorded ${allergyText(allergy)}`;
        fire(ctx, `${rule.id} ${draft.ref ?? draft.name} ${allergy.id ?? coding.code}`, rule.id, file.version, why, card({
          summary: direct ? `Allergy: patient is allergic to ${allergen}; ${draft.short} is contraindicated` : `Possible cross-sensitivity: ${allergen} allergy and ${draft.short}`,
          indicator: critical ? 'critical' : 'warning',
          detail: [
            direct ? `**Drug allergy: ${draft.short} matches a recorded allergy to ${allergen}**` : `**Possible cross-sensitivity with a recorded allergy to ${allergen}**`,
            '',
            `- The ${orderLabel(draft)}, matched as ${direct ?? cross}`,
            `- Recorded: ${allergyText(allergy)}`,
            ...(cross && rule.crossNote ? ['', `**Why**: ${rule.crossNote}${severe(allergy) ? ' The recorded reaction is severe (high criticality or anaphylaxis).' : ''}`] : []),
            '',
            sourceLine(file, rule.id, rule.source),
          ].join('\n'),
          source: cardSource(file, rule.id, rule.source, direct ? 'Drug allergy' : 'Drug allergy cross-sensitivity'),
          suggestions: [...replaceSuggestions(draft, rule.alternatives, ctx.terminology), ...removeSuggestion(draft)],
        }));
      }
    }
  }
}

const FORM_UNITS = ['tablet', 'tablets', 'tab', 'tabs', '{tbl}', '{tablet}', 'capsule', 'capsules', 'cap', 'caps', '{capsule}', '1', 'each', '{each}', 'dose', '{dose}'];
const TIMING_CODES: Record<string, number> = { QD: 1, AM: 1, PM: 1, HS: 1, BID: 2, TID: 3, QID: 4, QOD: 0.5, Q4H: 6, Q6H: 4, Q8H: 3, WK: 1 / 7 };
const PERIOD_DAYS: Record<string, number> = { s: 1 / 86400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365 };

/** mg of the ingredient in one dose, and doses a day (undefined when the timing does not say). */
function doseOf(draft: Drug, ingredient: string, dosage: Dosage, strengths: Record<string, Strength>): { mg: number; perDay?: number; text: string } | undefined {
  const dr = dosage.doseAndRate?.[0];
  const q = dr?.doseQuantity ?? dr?.doseRange?.high;
  if (typeof q?.value !== 'number') return undefined;
  const unit = (q.code ?? q.unit ?? '').toLowerCase();
  const strength = draft.coding?.code ? strengths[draft.coding.code] : undefined;
  let mg: number | undefined;
  if (unit === 'mg') mg = draft.ingredients.size === 1 ? q.value : undefined; // mg of a combination product is ambiguous
  else if (unit === 'g') mg = draft.ingredients.size === 1 ? q.value * 1000 : undefined;
  else if (unit === 'mcg' || unit === 'ug') mg = draft.ingredients.size === 1 ? q.value / 1000 : undefined;
  else if (FORM_UNITS.includes(unit) || unit === '' || unit === strength?.form) mg = strength?.ingredients[ingredient] !== undefined ? q.value * strength.ingredients[ingredient] : undefined;
  if (mg === undefined) return undefined;
  const repeat = dosage.timing?.repeat;
  let perDay: number | undefined;
  if (repeat?.period && repeat.periodUnit && PERIOD_DAYS[repeat.periodUnit]) perDay = (repeat.frequencyMax ?? repeat.frequency ?? 1) / (repeat.period * PERIOD_DAYS[repeat.periodUnit]);
  else {
    const code = dosage.timing?.code?.coding?.find((c) => c.code && TIMING_CODES[c.code] !== undefined)?.code;
    if (code) perDay = TIMING_CODES[code];
  }
  const text = `${q.value} ${q.unit ?? q.code ?? ''}`.trim() + (perDay ? `, ${+perDay.toFixed(2)} times a day` : '');
  return { mg, perDay, text };
}

const mg = (n: number) => `${+n.toFixed(2)} mg`;

function doses(ctx: Context, draft: Drug): void {
  const file = ctx.rules.doses;
  const { ageYears, weight } = ctx.facts;
  for (const rule of file.rules) {
    if (!draft.ingredients.has(rule.ingredient)) continue;
    const ingName = ctx.terminology.codeSystem(RXNORM)?.get(rule.ingredient)?.display ?? rule.ingredient;
    if (rule.minAge && ageYears !== undefined && ageYears < rule.minAge.years) {
      const contraindicated = rule.minAge.severity === 'contraindicated';
      const why = `${draft.ref ?? 'draft'} ${draft.name} for a patient aged ${ageYears.toFixed(1)} years (birth date ${ctx.facts.patient?.birthDate}), under the minimum age ${rule.minAge.years}`;
      fire(ctx, `${rule.id} age ${draft.ref ?? draft.name}`, rule.id, file.version, why, card({
        summary: `${capital(ingName)} ${contraindicated ? 'is contraindicated' : 'is not recommended'} under ${rule.minAge.years < 1 ? `${Math.round(rule.minAge.years * 12)} months` : `${rule.minAge.years} years`} (patient ${ageYears < 2 ? `${Math.floor(ageYears * 12)} months` : `${Math.floor(ageYears)} years`})`,
        indicator: contraindicated ? 'critical' : 'warning',
        detail: [`**Age: ${rule.minAge.advice}**`, '', `- The ${orderLabel(draft)}`, `- Patient birth date ${ctx.facts.patient?.birthDate}: ${ageYears.toFixed(1)} years`, '', sourceLine(file, rule.id, rule.source)].join('\n'),
        source: cardSource(file, rule.id, rule.source, 'Minimum age'),
        suggestions: removeSuggestion(draft),
      }));
    }
    const given = (draft.order.dosageInstruction ?? []).map((d) => doseOf(draft, rule.ingredient, d, file.strengths)).filter((d) => !!d);
    if (!given.length) continue;
    const single = Math.max(...given.map((g) => g.mg));
    const daily = given.every((g) => g.perDay !== undefined) ? given.reduce((sum, g) => sum + g.mg * g.perDay!, 0) : undefined;
    const child = ageYears !== undefined && ageYears < 18;
    // The limits that apply, each with where it comes from.
    const singles: [number, string][] = [];
    const dailies: [number, string][] = [];
    if (rule.adult.maxSingleMg) singles.push([rule.adult.maxSingleMg, 'adult maximum']);
    if (rule.adult.maxDailyMg) dailies.push([rule.adult.maxDailyMg, 'adult maximum']);
    if (child && rule.child) {
      const c = rule.child;
      if (c.maxSingleMg) singles.push([c.maxSingleMg, 'child maximum']);
      if (c.maxDailyMg) dailies.push([c.maxDailyMg, 'child maximum']);
      if (weight && c.maxSingleMgPerKg) singles.push([c.maxSingleMgPerKg * weight.kg, `${c.maxSingleMgPerKg} mg/kg x ${+weight.kg.toFixed(1)} kg (weight on ${day(weight.date)})`]);
      if (weight && c.maxDailyMgPerKg) dailies.push([c.maxDailyMgPerKg * weight.kg, `${c.maxDailyMgPerKg} mg/kg/day x ${+weight.kg.toFixed(1)} kg (weight on ${day(weight.date)})`]);
    }
    const over: string[] = [];
    const singleLimit = singles.sort((a, b) => a[0] - b[0])[0];
    const dailyLimit = dailies.sort((a, b) => a[0] - b[0])[0];
    if (singleLimit && single > singleLimit[0] + 1e-9) over.push(`single dose ${mg(single)} of ${ingName} is above ${mg(singleLimit[0])} (${singleLimit[1]})`);
    if (dailyLimit && daily !== undefined && daily > dailyLimit[0] + 1e-9) over.push(`daily dose ${mg(daily)} of ${ingName} is above ${mg(dailyLimit[0])} (${dailyLimit[1]})`);
    if (!over.length && child && !weight && (rule.child?.maxSingleMgPerKg || rule.child?.maxDailyMgPerKg)) {
      // The per-kg limits could not be checked: say so rather than stay silent.
      fire(ctx, `${rule.id} weight ${draft.ref ?? draft.name}`, rule.id, file.version, `${draft.ref ?? 'draft'} ${draft.name} for a child aged ${ageYears!.toFixed(1)} years with no body weight recorded: per-kg limits not checked`, card({
        summary: `Dose of ${ingName} not checked per kg: no body weight recorded for this child`,
        indicator: 'info',
        detail: [`**Record a body weight (LOINC ${WEIGHT}) to check this dose**`, '', `- The ${orderLabel(draft)}; ordered: ${given.map((g) => g.text).join('; ')}`, `- Child limits: ${[rule.child!.maxSingleMgPerKg && `${rule.child!.maxSingleMgPerKg} mg/kg per dose`, rule.child!.maxDailyMgPerKg && `${rule.child!.maxDailyMgPerKg} mg/kg/day`].filter(Boolean).join(', ')}`, '', sourceLine(file, rule.id, rule.source)].join('\n'),
        source: cardSource(file, rule.id, rule.source, 'Dose range'),
      }));
      continue;
    }
    if (!over.length) continue;
    const who = child ? `a child aged ${ageYears!.toFixed(1)} years${weight ? `, ${+weight.kg.toFixed(1)} kg` : ', no body weight recorded'}` : ageYears !== undefined ? `an adult aged ${Math.floor(ageYears)} years` : 'a patient of unknown age';
    fire(ctx, `${rule.id} dose ${draft.ref ?? draft.name}`, rule.id, file.version, `${draft.ref ?? 'draft'} ${draft.name}: ${over.join('; ')}; for ${who}`, card({
      summary: `Dose above the maximum: ${ingName} ${over[0].startsWith('single') ? `${mg(single)} per dose (max ${mg(singleLimit![0])})` : `${mg(daily!)} a day (max ${mg(dailyLimit![0])})`}`,
      indicator: 'warning',
      detail: [
        `**Dose check for ${who}**`,
        '',
        `- The ${orderLabel(draft)}; ordered: ${given.map((g) => g.text).join('; ')}`,
        ...over.map((o) => `- ${capital(o)}`),
        ...(rule.note ? ['', `Note: ${rule.note}`] : []),
        '',
        sourceLine(file, rule.id, rule.source),
      ].join('\n'),
      source: cardSource(file, rule.id, rule.source, 'Dose range'),
    }));
  }
}

function renal(ctx: Context, draft: Drug): void {
  const file = ctx.rules.renal;
  const r = ctx.facts.renal;
  if (!r) return;
  for (const rule of file.rules) {
    if (!(r.egfr < rule.below && (rule.atLeast === undefined || r.egfr >= rule.atLeast))) continue;
    const matched = matchDrug(draft, rule.drug, ctx.terminology);
    if (!matched) continue;
    const band = rule.atLeast !== undefined ? `${rule.atLeast}-${rule.below}` : `below ${rule.below}`;
    const verb = { contraindicated: 'contraindicated', avoid: 'to be avoided', reduce: 'a reduced dose', caution: 'caution' }[rule.action];
    fire(ctx, `${rule.id} ${draft.ref ?? draft.name}`, rule.id, file.version, `${draft.ref ?? 'draft'} ${draft.name} (${matched}) with ${r.text}: eGFR ${band}`, card({
      summary: `Renal function: ${draft.short} ${rule.action === 'reduce' || rule.action === 'caution' ? 'needs' : 'is'} ${verb} at eGFR ${r.egfr} (${band})`,
      indicator: rule.action === 'contraindicated' ? 'critical' : 'warning',
      detail: [`**Renal dosing: ${rule.advice}**`, '', `- The ${orderLabel(draft)}, matched as ${matched}`, `- Latest renal function: ${r.text}`, '', sourceLine(file, rule.id, rule.source)].join('\n'),
      source: cardSource(file, rule.id, rule.source, 'Renal dosing'),
      suggestions: rule.action === 'contraindicated' || rule.action === 'avoid' ? removeSuggestion(draft) : [],
    }));
  }
}

/** The draft MedicationRequests of a request's context.draftOrders. */
export function draftOrders(input: CdsInput): MedicationRequest[] {
  return resourcesOf<MedicationRequest>(input.request.context.draftOrders as Bundle | undefined, 'MedicationRequest');
}

/**
 * Runs every medication rule on the drafts to check (order-select: the selected ones; order-sign: all),
 * against the active orders, the other drafts, the allergies, the age and weight and the renal function.
 */
export function runMedicationRules(input: CdsInput, check: (draft: MedicationRequest) => boolean, rules: MedicationRules = MEDICATION_RULES): CdsServiceResult {
  const terminology = shippedTerminology();
  const orders = draftOrders(input);
  const drafts = orders.map((o) => drugOf(o, true, terminology));
  const facts = patientFacts(input, new Set(drafts.map((d) => d.ref).filter((r): r is string => !!r)));
  const ctx: Context = { rules, terminology, facts, cards: [], fired: [], seen: new Set() };
  for (const draft of drafts) {
    if (!check(draft.order)) continue;
    if (!draft.ingredients.size) continue; // no RxNorm code the terminology knows: nothing to check against
    interactionsAndDuplicates(ctx, draft, [...facts.active, ...drafts.filter((d) => d !== draft)]);
    allergies(ctx, draft);
    doses(ctx, draft);
    renal(ctx, draft);
  }
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  const order = ctx.cards.map((c, i) => [c, i] as const).sort((a, b) => rank[a[0].indicator] - rank[b[0].indicator] || a[1] - b[1]);
  // every medication card is about the patient's record (active orders, allergies, labs): the chart shows it
  const cards = order.map(([c]) => withLinks(c, appLink(input, 'chart')));
  const fired = order.map(([, i]) => ctx.fired[i]);
  return { cards, fired };
}
