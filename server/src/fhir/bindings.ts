// Required terminology bindings of the base specification. @medplum/core's validator does not check
// them (Observation.status "bogus" passes), so this walks the resource by its type schema and checks
// every element whose binding is `required` against the bound ValueSet's codes. ValueSets that cannot
// be enumerated from the shipped definitions (MIME types, languages, filters) are not checked here.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { core, readJson } from './definitions.js';
import { issue } from './outcome.js';

type CodeSet = Set<string>; // "system|code"; system is "" when only codes are compared

interface Concept {
  code: string;
  concept?: Concept[];
}
interface CodeSystemLike {
  resourceType: 'CodeSystem';
  url: string;
  concept?: Concept[];
}
interface ValueSetLike {
  resourceType: 'ValueSet';
  url: string;
  compose?: {
    include?: { system?: string; concept?: { code: string }[]; filter?: unknown[]; valueSet?: string[] }[];
    exclude?: unknown[];
  };
}

let codeSystems: Map<string, CodeSystemLike> | undefined;
let valueSets: Map<string, ValueSetLike> | undefined;
const expansions = new Map<string, CodeSet | null>();

function loadTerminology(): void {
  if (codeSystems) return;
  codeSystems = new Map();
  valueSets = new Map();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    for (const entry of readJson(file).entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === 'CodeSystem') codeSystems.set(r.url, r);
      if (r?.resourceType === 'ValueSet') valueSets.set(r.url, r);
    }
  }
}

/** The codes of a ValueSet, or null when it cannot be enumerated from the shipped definitions. */
function expand(url: string, seen = new Set<string>()): CodeSet | null {
  const key = url.split('|')[0];
  if (expansions.has(key)) return expansions.get(key)!;
  if (seen.has(key)) return null;
  seen.add(key);
  loadTerminology();
  const vs = valueSets!.get(key);
  let codes: CodeSet | null = vs?.compose?.include && !vs.compose.exclude ? new Set() : null;
  for (const include of vs?.compose?.include ?? []) {
    if (!codes) break;
    if (include.filter?.length) {
      codes = null;
    } else if (include.valueSet?.length) {
      for (const nested of include.valueSet) {
        const nestedCodes = expand(nested, seen);
        if (!nestedCodes) codes = null;
        else nestedCodes.forEach((c) => codes?.add(c));
      }
    } else if (include.concept?.length && include.system) {
      for (const c of include.concept) codes.add(`${include.system}|${c.code}`);
    } else if (include.system) {
      const cs = codeSystems!.get(include.system);
      if (!cs?.concept?.length) codes = null;
      else addConcepts(codes, include.system, cs.concept);
    } else {
      codes = null;
    }
  }
  expansions.set(key, codes);
  return codes;
}

function addConcepts(codes: CodeSet, system: string, concepts: Concept[]): void {
  for (const c of concepts) {
    codes.add(`${system}|${c.code}`);
    if (c.concept) addConcepts(codes, system, c.concept);
  }
}

function hasCode(codes: CodeSet, system: string | undefined, code: string): boolean {
  if (system !== undefined) return codes.has(`${system}|${code}`);
  for (const entry of codes) if (entry.slice(entry.lastIndexOf('|') + 1) === code) return true;
  return false;
}

const PRIMITIVE = /^[a-z]/;
const checkableTypes = new Map<string, boolean>();

/** Whether a type (or anything nested in it) has a required binding worth walking into. */
function needsWalk(typeName: string, visiting = new Set<string>()): boolean {
  const known = checkableTypes.get(typeName);
  if (known !== undefined) return known;
  if (PRIMITIVE.test(typeName) || visiting.has(typeName)) return false;
  visiting.add(typeName);
  const schema = core.tryGetDataType(typeName);
  let result = false;
  for (const element of Object.values(schema?.elements ?? {})) {
    if (element.binding?.strength === 'required' && element.binding.valueSet && expand(element.binding.valueSet)) result = true;
    for (const t of element.type ?? []) {
      if (t.code === 'Resource' || needsWalk(t.code, visiting)) result = true;
    }
  }
  visiting.delete(typeName);
  if (visiting.size === 0 || result) checkableTypes.set(typeName, result);
  return result;
}

export function checkRequiredBindings(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource as unknown as Record<string, unknown>, resource.resourceType, resource.resourceType, issues);
  return issues;
}

function walk(value: Record<string, unknown>, typeName: string, path: string, issues: OperationOutcomeIssue[]): void {
  if (!needsWalk(typeName)) return;
  const elements = core.tryGetDataType(typeName)?.elements ?? {};
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_') || raw === undefined || raw === null) continue;
    const { element, type } = elementFor(elements, key);
    if (!element || !type) continue; // unknown elements are the structural validator's to report
    const items = Array.isArray(raw) ? raw : [raw];
    items.forEach((item, index) => {
      const itemPath = Array.isArray(raw) ? `${path}.${key}[${index}]` : `${path}.${key}`;
      const binding = element.binding;
      if (binding?.strength === 'required' && binding.valueSet) {
        checkBinding(item, type, binding.valueSet, itemPath, issues);
      }
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        const record = item as Record<string, unknown>;
        const nestedType = type === 'Resource' && typeof record.resourceType === 'string' ? record.resourceType : type;
        walk(record, nestedType, itemPath, issues);
      }
    });
  }
}

function elementFor(elements: Record<string, { type?: { code: string }[]; binding?: { strength?: string; valueSet?: string } }>, key: string) {
  const direct = elements[key];
  if (direct) return { element: direct, type: direct.type?.[0]?.code };
  for (const [name, element] of Object.entries(elements)) {
    if (!name.endsWith('[x]')) continue;
    const base = name.slice(0, -3);
    if (!key.startsWith(base)) continue;
    const suffix = key.slice(base.length);
    const type = element.type?.find((t) => t.code.toLowerCase() === suffix.toLowerCase())?.code;
    if (type) return { element, type };
  }
  return { element: undefined, type: undefined };
}

function checkBinding(item: unknown, type: string, valueSet: string, path: string, issues: OperationOutcomeIssue[]): void {
  const codes = expand(valueSet);
  if (!codes) return;
  const vsName = valueSet.split('|')[0];
  if (typeof item === 'string' && (type === 'code' || type === 'string' || type === 'uri')) {
    if (!hasCode(codes, undefined, item)) {
      issues.push(issue('error', 'code-invalid', `Value "${item}" is not in the required value set ${vsName}`, path));
    }
  } else if (type === 'Coding' && item && typeof item === 'object') {
    const coding = item as { system?: string; code?: string };
    if (coding.code !== undefined && !hasCode(codes, coding.system, coding.code)) {
      issues.push(issue('error', 'code-invalid', `Code "${coding.system ?? ''}|${coding.code}" is not in the required value set ${vsName}`, path));
    }
  } else if (type === 'CodeableConcept' && item && typeof item === 'object') {
    const codings = ((item as { coding?: { system?: string; code?: string }[] }).coding ?? []).filter((c) => c.code !== undefined);
    if (!codings.some((c) => hasCode(codes, c.system, c.code!))) {
      issues.push(issue('error', 'code-invalid', `No coding is from the required value set ${vsName}`, path));
    }
  }
}
