// The vital signs the monitor shows, read from Observations (single readings and the blood pressure
// panel's components), and whether a value is out of range: the Observation's own interpretation
// when it has one, else the server's alert thresholds (server/src/subscriptions/vital-sign-rules.json,
// the same rules that raise DetectedIssues), bundled with the app.
import type { Observation } from '@medplum/fhirtypes';
import rulesFile from '../../server/src/subscriptions/vital-sign-rules.json' with { type: 'json' };

export type VitalKey = 'hr' | 'rr' | 'spo2' | 'temp' | 'sys' | 'dia';

export interface VitalDef {
  key: VitalKey;
  label: string;
  unit: string;
  codes: string[];
  decimals: number;
}

export const VITALS: VitalDef[] = [
  { key: 'hr', label: 'Heart rate', unit: '/min', codes: ['8867-4'], decimals: 0 },
  { key: 'rr', label: 'Respiratory rate', unit: '/min', codes: ['9279-1'], decimals: 0 },
  { key: 'spo2', label: 'SpO₂', unit: '%', codes: ['59408-5', '2708-6'], decimals: 0 },
  { key: 'temp', label: 'Temperature', unit: '°C', codes: ['8310-5'], decimals: 1 },
  { key: 'sys', label: 'Systolic BP', unit: 'mmHg', codes: ['8480-6'], decimals: 0 },
  { key: 'dia', label: 'Diastolic BP', unit: 'mmHg', codes: ['8462-4'], decimals: 0 },
];

const KEY_OF = new Map(VITALS.flatMap((v) => v.codes.map((c) => [c, v.key] as const)));

export type Range = 'low' | 'high' | 'abnormal' | undefined;

export interface Reading {
  observationId: string;
  patientId: string;
  key: VitalKey;
  value: number;
  /** ms since the epoch */
  at: number;
  range: Range;
}

interface Rule {
  code: string;
  patient?: string;
  low?: number;
  high?: number;
}
const RULES = (rulesFile as { rules: Rule[] }).rules;
/** The general rules are for adults (NEWS2); patients of unknown age count as adults. */
const ADULTS_FROM = (rulesFile as { adultsFromAge: number }).adultsFromAge;

const LOINC = 'http://loinc.org';
const loincCodes = (c?: { coding?: { system?: string; code?: string }[] }) =>
  (c?.coding ?? []).filter((x) => !x.system || x.system === LOINC).map((x) => x.code ?? '');

/** The interpretation codes (v3 ObservationInterpretation) that mean out of range. */
function fromInterpretation(obs: Observation): Range {
  const codes = (obs.interpretation ?? []).flatMap((i) => (i.coding ?? []).map((c) => c.code ?? ''));
  if (codes.some((c) => ['L', 'LL', 'LU', '<'].includes(c))) return 'low';
  if (codes.some((c) => ['H', 'HH', 'HU', '>'].includes(c))) return 'high';
  if (codes.some((c) => ['A', 'AA'].includes(c))) return 'abnormal';
  return undefined;
}

/** The alert rule for a code: the patient's own, else the general one. */
export function ruleFor(code: string, patientId: string, age?: number): Rule | undefined {
  const own = RULES.find((r) => r.code === code && r.patient === `Patient/${patientId}`);
  if (own || (age !== undefined && age < ADULTS_FROM)) return own;
  return RULES.find((r) => r.code === code && !r.patient);
}

export function rangeOf(code: string, patientId: string, value: number, age?: number): Range {
  const rule = ruleFor(code, patientId, age);
  if (!rule) return undefined;
  if (rule.low !== undefined && value < rule.low) return 'low';
  if (rule.high !== undefined && value > rule.high) return 'high';
  return undefined;
}

export const patientOf = (obs: Observation) => /^(?:.*\/)?Patient\/([^/]+)$/.exec(obs.subject?.reference ?? '')?.[1];

/** Every vital sign an Observation carries (a panel gives several). */
export function readingsOf(obs: Observation, ageOf: (patientId: string) => number | undefined = () => undefined): Reading[] {
  const patientId = patientOf(obs);
  const when = obs.effectiveDateTime ?? obs.effectivePeriod?.start ?? obs.issued;
  if (!patientId || !obs.id || !when || obs.status === 'entered-in-error' || obs.status === 'cancelled') return [];
  const at = Date.parse(when);
  const own = fromInterpretation(obs);
  const parts = [{ code: obs.code, value: obs.valueQuantity?.value, single: true }, ...(obs.component ?? []).map((c) => ({ code: c.code, value: c.valueQuantity?.value, single: false }))];
  const out: Reading[] = [];
  for (const part of parts) {
    if (typeof part.value !== 'number') continue;
    const code = loincCodes(part.code).find((c) => KEY_OF.has(c));
    if (!code) continue;
    const range = rangeOf(code, patientId, part.value, ageOf(patientId)) ?? (part.single ? own : undefined);
    out.push({ observationId: obs.id, patientId, key: KEY_OF.get(code)!, value: part.value, at, range });
  }
  return out;
}

export const formatValue = (def: VitalDef, value: number) => value.toFixed(def.decimals);
