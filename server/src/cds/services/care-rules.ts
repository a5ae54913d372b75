// Shared by the care-gap services (patient-view, encounter-discharge): loading their rules files with
// the check that every code they name exists in the shipped terminology, reading resources out of
// prefetch values, subsumption through the shipped code systems, dates, and card pieces.
import type { Bundle, CodeableConcept, Coding, Condition, Resource } from '@medplum/fhirtypes';
import { shippedTerminology } from '../../terminology/service.js';
import { CDS_RULE_SYSTEM } from '../records.js';
import type { CdsCard } from '../types.js';

export interface RuleSource {
  id: string;
  title: string;
  url?: string;
}

export interface CodeRef {
  system: string;
  code: string;
  display?: string;
  match?: 'is-a' | 'exact';
}

export interface RulesFileBase {
  version: string;
  sources: RuleSource[];
  overrideReasons: { system: string; codes: { code: string; display: string }[] };
  /** Codes the rules name that the shipped terminology does not hold, each with the reason. */
  notShipped?: (CodeRef & { reason: string })[];
  /** CVX is not shipped: the CVX codes the rules use, which rule `cvx` arrays are checked against. */
  cvx?: { system: string; note: string; codes: { code: string; display: string }[] };
  rules: unknown;
}

export const OVERRIDE_REASON_SYSTEM = 'https://meridian.dev/fhir/CodeSystem/cds-override-reason';
/** The topic of a card: the id of the rule that made it, in the system the decision records use. */
export const RULE_TOPIC_SYSTEM = CDS_RULE_SYSTEM;

/**
 * Every code a rules file names: objects with string `system` and `code` (or `codes: string[]`) anywhere
 * under `rules`, and `cvx: string[]` arrays (CVX codes). Checked against the shipped terminology, CVX
 * against the file's own cvx list; throws one error naming every code that is missing.
 */
export function checkRulesCodes(name: string, file: RulesFileBase): void {
  const problems: string[] = [];
  if (typeof file.version !== 'string' || !file.version) problems.push('no version');
  if (!Array.isArray(file.sources) || !file.sources.length) problems.push('no sources');
  if (file.overrideReasons?.system !== OVERRIDE_REASON_SYSTEM) problems.push(`overrideReasons.system must be ${OVERRIDE_REASON_SYSTEM}`);
  const sourceIds = new Set((file.sources ?? []).map((s) => s.id));
  const notShipped = new Set((file.notShipped ?? []).map((c) => `${c.system}|${c.code}`));
  const cvxSystem = file.cvx?.system ?? 'http://hl7.org/fhir/sid/cvx';
  const cvx = new Set((file.cvx?.codes ?? []).map((c) => c.code));
  const terminology = shippedTerminology();
  const check = (system: string, code: string, path: string) => {
    if (notShipped.has(`${system}|${code}`)) return;
    if (system === cvxSystem) {
      if (!cvx.has(code)) problems.push(`${path}: CVX ${code} is not in the file's cvx list`);
      return;
    }
    const cs = terminology.codeSystem(system);
    if (!cs) problems.push(`${path}: code system ${system} is not shipped`);
    else if (!cs.get(code)) problems.push(`${path}: ${system}|${code} is not in the shipped ${cs.name ?? system}`);
  };
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
    if (!value || typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    if (typeof o.system === 'string' && typeof o.code === 'string') check(o.system, o.code, path);
    if (typeof o.system === 'string' && Array.isArray(o.codes)) o.codes.forEach((c, i) => typeof c === 'string' && check(o.system as string, c, `${path}.codes[${i}]`));
    if (Array.isArray(o.cvx)) o.cvx.forEach((c, i) => check(cvxSystem, String(c), `${path}.cvx[${i}]`));
    else if (o.cvx && typeof o.cvx === 'string') check(cvxSystem, o.cvx, `${path}.cvx`);
    if (typeof o.source === 'string' && !sourceIds.has(o.source)) problems.push(`${path}: source ${o.source} is not in sources`);
    for (const [k, v] of Object.entries(o)) if (v && typeof v === 'object') walk(v, `${path}.${k}`);
  };
  walk(file.rules, 'rules');
  if (problems.length) throw new Error(`CDS rules ${name} (version ${file.version}) name codes the terminology does not have:\n  ${problems.join('\n  ')}`);
}

// ---- prefetch values ------------------------------------------------------------------------------

/** The resources of a type in a prefetch value: a Bundle's entries, or the resource itself. */
export function resourcesOf<T extends Resource>(value: Resource | Bundle | null | undefined, type: T['resourceType']): T[] {
  if (!value) return [];
  if (value.resourceType === 'Bundle') return ((value as Bundle).entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
  return value.resourceType === type ? [value as T] : [];
}

// ---- terminology ----------------------------------------------------------------------------------

/** The codes a rule code matches: itself, and with match is-a every shipped descendant. */
export function matchingCodes(ref: CodeRef): Set<string> {
  const codes = new Set([ref.code]);
  if (ref.match === 'is-a') for (const c of shippedTerminology().codeSystem(ref.system)?.descendants(ref.code) ?? []) codes.add(c);
  return codes;
}

export function codingIn(concept: CodeableConcept | undefined, system: string, codes: Set<string> | string[]): Coding | undefined {
  const set = codes instanceof Set ? codes : new Set(codes);
  return concept?.coding?.find((c) => c.system === system && c.code !== undefined && set.has(c.code));
}

/** Active, not refuted or entered in error (clinicalStatus absent counts as active, as US Core allows for problem lists). */
export function isActiveCondition(c: Condition): boolean {
  const clinical = c.clinicalStatus?.coding?.map((x) => x.code) ?? [];
  const verification = c.verificationStatus?.coding?.map((x) => x.code) ?? [];
  if (verification.includes('entered-in-error') || verification.includes('refuted')) return false;
  if (c.abatementDateTime || c.abatementPeriod || c.abatementAge) return clinical.some((x) => x === 'active' || x === 'recurrence' || x === 'relapse');
  return clinical.length === 0 || clinical.some((x) => x === 'active' || x === 'recurrence' || x === 'relapse');
}

/** The active conditions whose code is one of the rule's (is-a through the shipped terminology), each once. */
export function conditionsMatching(conditions: Condition[], refs: CodeRef | CodeRef[]): { condition: Condition; coding: Coding }[] {
  const sets = (Array.isArray(refs) ? refs : [refs]).map((ref) => ({ system: ref.system, codes: matchingCodes(ref) }));
  const found: { condition: Condition; coding: Coding }[] = [];
  for (const condition of conditions) {
    if (!isActiveCondition(condition)) continue;
    for (const { system, codes } of sets) {
      const coding = codingIn(condition.code, system, codes);
      if (coding) {
        found.push({ condition, coding });
        break;
      }
    }
  }
  return found;
}

const SYSTEM_NAMES: Record<string, string> = {
  'http://snomed.info/sct': 'SNOMED CT',
  'http://hl7.org/fhir/sid/icd-10-cm': 'ICD-10-CM',
};

/** "Diabetes mellitus type 2 (SNOMED CT 44054006), onset 2019-03-02". */
export function conditionName(c: { condition: Condition; coding: Coding }): string {
  const onset = c.condition.onsetDateTime ? `, onset ${c.condition.onsetDateTime.slice(0, 10)}` : '';
  return `${c.coding.display ?? c.condition.code?.text ?? 'condition'} (${SYSTEM_NAMES[c.coding.system ?? ''] ?? c.coding.system} ${c.coding.code})${onset}`;
}

// ---- dates ----------------------------------------------------------------------------------------

export function parseDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function addMonths(d: Date, months: number): Date {
  const x = new Date(d.getTime());
  x.setUTCMonth(x.getUTCMonth() + months);
  return x;
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

export const day = (d: Date | undefined): string => (d ? d.toISOString().slice(0, 10) : 'unknown date');

/** Whole years between birthDate and now. */
export function ageOn(birthDate: string | undefined, now: Date): number | undefined {
  const b = parseDate(birthDate);
  if (!b) return undefined;
  let age = now.getUTCFullYear() - b.getUTCFullYear();
  if (now.getUTCMonth() < b.getUTCMonth() || (now.getUTCMonth() === b.getUTCMonth() && now.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

export function monthsBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / (30.4375 * 86_400_000));
}

// ---- cards ----------------------------------------------------------------------------------------

/** CDS Hooks asks for summaries under 140 characters. */
export function summary(text: string): string {
  return text.length < 140 ? text : `${text.slice(0, 138)}…`;
}

export function cardSource(file: RulesFileBase, sourceId: string, rule: { id: string; title: string }): CdsCard['source'] {
  const source = file.sources.find((s) => s.id === sourceId);
  return {
    label: `Meridian ${file.version}: ${source?.title.split(/[.(:]/)[0].trim() || rule.title}`.slice(0, 120),
    ...(source?.url ? { url: source.url } : {}),
    topic: { system: RULE_TOPIC_SYSTEM, code: rule.id, display: rule.title },
  };
}

export function overrideReasons(file: RulesFileBase, codes: string[]): Coding[] {
  return file.overrideReasons.codes.filter((c) => codes.includes(c.code)).map((c) => ({ system: file.overrideReasons.system, code: c.code, display: c.display }));
}

/** "Practitioner/123" from a CDS userId, when it names a practitioner. */
export function practitionerOf(userId: unknown): string | undefined {
  return typeof userId === 'string' && /^(Practitioner|PractitionerRole)\/[A-Za-z0-9\-.]{1,64}$/.test(userId) ? userId : undefined;
}
