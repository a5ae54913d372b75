// Index rows extracted from a resource on write, written in the same statement as the resource.
// One kind of row per parameter type (see README.md); every R4 search parameter of the resource's
// type with an expression is evaluated.
import type { Resource } from '@medplum/fhirtypes';
import { core } from '../fhir/definitions.js';
import { compileRelative, walkPath } from './compile.js';
import { normalizeText } from './normalize.js';
import { parseDateRange } from './ranges.js';
import { indexedParams, type CompositeComponent, type RegisteredParam } from './registry.js';

export interface IndexRows {
  token: { param: string[]; system: (string | null)[]; code: string[] };
  string: { param: string[]; value: string[]; raw: string[] };
  reference: { param: string[]; targetType: (string | null)[]; targetId: (string | null)[]; url: (string | null)[] };
  date: { param: string[]; low: string[]; high: string[] };
  number: { param: string[]; system: (string | null)[]; code: (string | null)[]; value: string[] };
  composite: {
    param: string[];
    system: (string | null)[];
    code: string[];
    valueSystem: (string | null)[];
    valueCode: (string | null)[];
    valueNumber: (string | null)[];
    valueLow: (string | null)[];
    valueHigh: (string | null)[];
    valueText: (string | null)[];
  };
  text: { param: string[]; document: string[] };
}

export function emptyIndexRows(): IndexRows {
  return {
    token: { param: [], system: [], code: [] },
    string: { param: [], value: [], raw: [] },
    reference: { param: [], targetType: [], targetId: [], url: [] },
    date: { param: [], low: [], high: [] },
    number: { param: [], system: [], code: [], value: [] },
    composite: { param: [], system: [], code: [], valueSystem: [], valueCode: [], valueNumber: [], valueLow: [], valueHigh: [], valueText: [] },
    text: { param: [], document: [] },
  };
}

const REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]+)?$/;

/**
 * Index rows for every search parameter of the resource's type. References to this server's own
 * absolute URLs (baseUrl) are indexed as the local Type/id they name.
 */
export function extractIndex(resource: Resource, baseUrl: string): IndexRows {
  const rows = emptyIndexRows();
  const seen = new Set<string>();
  const once = (...key: unknown[]) => {
    const k = key.join('\u0000');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  };
  const token = (param: string, system: string | undefined | null, code: unknown) => {
    if (code === undefined || code === null || code === '' || typeof code === 'object') return;
    if (!once('t', param, system, code)) return;
    rows.token.param.push(param);
    rows.token.system.push(system ?? null);
    rows.token.code.push(String(code));
  };
  const string = (param: string, raw: unknown) => {
    if (typeof raw !== 'string' || raw === '' || !once('s', param, raw)) return;
    rows.string.param.push(param);
    rows.string.value.push(normalizeText(raw));
    rows.string.raw.push(raw);
  };
  const date = (param: string, low: string, high: string) => {
    if (!once('d', param, low, high)) return;
    rows.date.param.push(param);
    rows.date.low.push(low);
    rows.date.high.push(high);
  };
  const number = (param: string, value: unknown, system?: string | null, code?: string | null) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !once('n', param, value, system, code)) return;
    rows.number.param.push(param);
    rows.number.value.push(String(value));
    rows.number.system.push(system ?? null);
    rows.number.code.push(code ?? null);
  };
  const reference = (param: string, ref: unknown) => {
    if (typeof ref !== 'string' || ref === '' || ref.startsWith('#')) return;
    const local = ref.startsWith(`${baseUrl}/`) ? ref.slice(baseUrl.length + 1) : ref;
    const match = REFERENCE.exec(local);
    const [targetType, targetId, url] = match ? [match[1], match[2], null] : [null, null, ref.split('|')[0]];
    if (!once('r', param, targetType, targetId, url)) return;
    rows.reference.param.push(param);
    rows.reference.targetType.push(targetType);
    rows.reference.targetId.push(targetId);
    rows.reference.url.push(url);
  };

  for (const param of indexedParams(resource.resourceType)) {
    const code = param.code;
    if (param.components) {
      for (const row of compositeRows(resource, param)) {
        if (!once('c', code, ...Object.values(row))) continue;
        const c = rows.composite;
        c.param.push(code);
        c.system.push(row.system);
        c.code.push(row.code);
        c.valueSystem.push(row.valueSystem);
        c.valueCode.push(row.valueCode);
        c.valueNumber.push(row.valueNumber);
        c.valueLow.push(row.valueLow);
        c.valueHigh.push(row.valueHigh);
        c.valueText.push(row.valueText);
      }
      continue;
    }
    for (const { type, value } of typedValues(resource, param)) {
      if (value === undefined || value === null) continue;
      switch (param.type) {
        case 'token':
          if (type === 'Coding') {
            token(code, value.system, value.code);
            string(`${code}:text`, value.display);
          } else if (type === 'CodeableConcept') {
            for (const coding of value.coding ?? []) {
              token(code, coding.system, coding.code);
              string(`${code}:text`, coding.display);
            }
            string(`${code}:text`, value.text);
          } else if (type === 'Identifier') {
            token(code, value.system, value.value);
            string(`${code}:text`, value.type?.text);
            for (const t of value.type?.coding ?? []) token(`${code}:of-type`, t.system, t.code && value.value ? `${t.code}|${value.value}` : undefined);
          } else if (type === 'ContactPoint') {
            token(code, value.system, value.value);
          } else {
            token(code, undefined, value);
          }
          break;
        case 'string':
          if (type === 'HumanName') {
            for (const part of [value.text, value.family, ...(value.given ?? []), ...(value.prefix ?? []), ...(value.suffix ?? [])]) string(code, part);
          } else if (type === 'Address') {
            for (const part of [value.text, ...(value.line ?? []), value.city, value.district, value.state, value.postalCode, value.country]) string(code, part);
          } else {
            string(code, value);
          }
          break;
        case 'uri':
          string(code, value);
          break;
        case 'reference':
          if (type === 'Reference') {
            reference(code, value.reference);
            token(`${code}:identifier`, value.identifier?.system, value.identifier?.value);
          } else if (typeof value === 'string') {
            reference(code, value);
          }
          break;
        case 'date': {
          const range = dateValueRange(type, value);
          if (range) date(code, range[0], range[1]);
          break;
        }
        case 'number':
          number(code, value);
          break;
        case 'quantity':
          if (type === 'Money') number(code, value.value, 'urn:iso:std:iso:4217', value.currency);
          else if (typeof value === 'object') number(code, value.value, value.system, value.code ?? value.unit);
          else number(code, value);
          break;
      }
    }
  }
  // plain full text: _text is the narrative, _content every string of the resource
  const narrative = (resource as { text?: { div?: unknown } }).text?.div;
  if (typeof narrative === 'string') {
    rows.text.param.push('_text');
    rows.text.document.push(narrativeText(narrative));
  }
  rows.text.param.push('_content');
  rows.text.document.push(allStrings(resource).join(' '));
  return rows;
}

/** The words of XHTML narrative, tags and entities dropped. */
export function narrativeText(div: string): string {
  return div.replace(/<[^>]*>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ').replace(/\s+/g, ' ').trim();
}

function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value.startsWith('<div') ? narrativeText(value) : value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (key !== 'meta' && key !== 'id') allStrings(v, out);
  }
  return out;
}

interface CompositeRow {
  system: string | null;
  code: string;
  valueSystem: string | null;
  valueCode: string | null;
  valueNumber: string | null;
  valueLow: string | null;
  valueHigh: string | null;
  valueText: string | null;
}

/** (first, second) pairs taken from the same element, e.g. one Observation.component's code and value. */
function compositeRows(resource: Resource, param: RegisteredParam): CompositeRow[] {
  const [first, second] = param.components!;
  const rows: CompositeRow[] = [];
  for (const element of typedValues(resource, param)) {
    const evaluate = (component: CompositeComponent): { type: string; value: any }[] => {
      if (!component.compiled.has(element.type)) component.compiled.set(element.type, compileRelative(element.type, component.text));
      const plans = component.compiled.get(element.type);
      if (plans) return plans.flatMap((plan) => walkPath(element.value, plan.keys).map((value) => ({ type: plan.type, value })));
      try {
        return core.evalFhirPathTyped(component.expression, [element]);
      } catch {
        return [];
      }
    };
    const codes = evaluate(first).flatMap(({ type, value }) =>
      type === 'CodeableConcept' ? (value.coding ?? []) : type === 'Coding' ? [value] : typeof value === 'string' ? [{ code: value }] : [],
    );
    const empty = { valueSystem: null, valueCode: null, valueNumber: null, valueLow: null, valueHigh: null, valueText: null };
    const values: Omit<CompositeRow, 'system' | 'code'>[] = evaluate(second).flatMap(({ type, value }) => {
      if (second.type === 'token') {
        const codings = type === 'CodeableConcept' ? (value.coding ?? []) : type === 'Coding' ? [value] : typeof value === 'string' || typeof value === 'boolean' ? [{ code: String(value) }] : [];
        return codings.filter((c: any) => c.code).map((c: any) => ({ ...empty, valueSystem: c.system ?? null, valueCode: c.code }));
      }
      if (second.type === 'quantity' && typeof value?.value === 'number') {
        return [{ ...empty, valueSystem: value.system ?? null, valueCode: value.code ?? value.unit ?? null, valueNumber: String(value.value) }];
      }
      if (second.type === 'date') {
        const range = dateValueRange(type, value);
        return range ? [{ ...empty, valueLow: range[0], valueHigh: range[1] }] : [];
      }
      if (second.type === 'string' && typeof value === 'string') return [{ ...empty, valueText: normalizeText(value) }];
      return [];
    });
    for (const c of codes) {
      if (!c.code) continue;
      for (const v of values) rows.push({ system: c.system ?? null, code: c.code, ...v });
    }
  }
  return rows;
}

/** [low, high) of a date-like value as ISO text; unbounded ends of a Period are ±infinity. */
function dateValueRange(type: string, value: any): [string, string] | undefined {
  if (typeof value === 'string') {
    const range = parseDateRange(value);
    return range && [range.start.toISOString(), range.end.toISOString()];
  }
  if (type === 'Period') {
    const start = typeof value.start === 'string' ? parseDateRange(value.start) : undefined;
    const end = typeof value.end === 'string' ? parseDateRange(value.end) : undefined;
    if (!start && !end) return undefined;
    return [start ? start.start.toISOString() : '-infinity', end ? end.end.toISOString() : 'infinity'];
  }
  if (type === 'Timing') {
    const events = ((value.event ?? []) as string[]).map((e) => parseDateRange(e)).filter((r) => r !== undefined);
    const bounds = value.repeat?.boundsPeriod;
    if (bounds) return dateValueRange('Period', bounds);
    if (!events.length) return undefined;
    const low = new Date(Math.min(...events.map((e) => e.start.getTime())));
    const high = new Date(Math.max(...events.map((e) => e.end.getTime())));
    return [low.toISOString(), high.toISOString()];
  }
  return undefined;
}

/** The values a parameter's expression selects, with their FHIR types. */
export function typedValues(resource: Resource, param: RegisteredParam): { type: string; value: any }[] {
  if (param.paths) {
    return param.paths.flatMap((plan) =>
      walkPath(resource, plan.keys)
        .filter((value) => !plan.referenceTo || referencesType(value, plan.referenceTo))
        .map((value) => ({ type: plan.type, value })),
    );
  }
  try {
    return core.evalFhirPathTyped(param.expression!, [{ type: resource.resourceType, value: resource }]);
  } catch {
    return []; // a definition's expression that cannot apply to this resource indexes nothing
  }
}

/** resolve() is T, as FHIRPath decides it without a database: by the type named in the reference. */
function referencesType(value: unknown, type: string): boolean {
  const ref = (value as { reference?: unknown })?.reference;
  if (typeof ref !== 'string') return false;
  const parts = ref.split('/');
  const i = parts.lastIndexOf('_history');
  return (i >= 2 ? parts[i - 2] : parts[parts.length - 2]) === type;
}
