// Terminology bindings of the base specification and of profiles. @medplum/core's validator does not
// check them (Observation.status "bogus" passes), so this walks the resource by its type schema and
// checks every bound element against the ValueSet's codes: a `required` binding missed is an error,
// an `extensible` or `preferred` one a warning. ValueSets that cannot be enumerated from the shipped
// content (MIME types, languages, filters on systems not shipped) are not checked.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { shippedTerminology, type Expansion } from '../terminology/service.js';
import { core } from './definitions.js';
import { issue } from './outcome.js';

type Strength = 'required' | 'extensible' | 'preferred';
const CHECKED = new Set<string>(['required', 'extensible', 'preferred']);

function codesOf(valueSet: string): Expansion | undefined {
  return shippedTerminology().expansion(valueSet);
}

function hasCode(codes: Expansion, system: string | undefined, code: string): boolean {
  return system !== undefined ? codes.byKey.has(`${system}|${code}`) : codes.byCode.has(code);
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
    if (element.binding?.strength && CHECKED.has(element.binding.strength) && element.binding.valueSet && codesOf(element.binding.valueSet)) result = true;
    for (const t of element.type ?? []) {
      if (t.code === 'Resource' || needsWalk(t.code, visiting)) result = true;
    }
  }
  visiting.delete(typeName);
  if (visiting.size === 0 || result) checkableTypes.set(typeName, result);
  return result;
}

/** Binding issues of a resource against the base specification: errors (required) and warnings. */
export function bindingIssues(resource: { resourceType: string }): OperationOutcomeIssue[] {
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
      if (binding?.strength && CHECKED.has(binding.strength) && binding.valueSet) {
        checkBinding(item, type, binding.strength as Strength, binding.valueSet, itemPath, issues);
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

function checkBinding(item: unknown, type: string, strength: Strength, valueSet: string, path: string, issues: OperationOutcomeIssue[]): void {
  const codes = codesOf(valueSet);
  if (!codes) return;
  const vsName = valueSet.split('|')[0];
  const severity = strength === 'required' ? 'error' : 'warning';
  const kind = `${strength} value set ${vsName}`;
  if (typeof item === 'string' && (type === 'code' || type === 'string' || type === 'uri')) {
    if (!hasCode(codes, undefined, item)) issues.push(issue(severity, 'code-invalid', `Value "${item}" is not in the ${kind}`, path));
  } else if ((type === 'Coding' || type === 'Quantity') && item && typeof item === 'object') {
    const coding = item as { system?: string; code?: string };
    if (coding.code !== undefined && !hasCode(codes, coding.system, coding.code)) {
      issues.push(issue(severity, 'code-invalid', `Code "${coding.system ?? ''}|${coding.code}" is not in the ${kind}`, path));
    }
  } else if (type === 'CodeableConcept' && item && typeof item === 'object') {
    const codings = ((item as { coding?: { system?: string; code?: string }[] }).coding ?? []).filter((c) => c.code !== undefined);
    // an extensible or preferred binding may be met by text alone
    if ((codings.length || strength === 'required') && !codings.some((c) => hasCode(codes, c.system, c.code!))) {
      issues.push(issue(severity, 'code-invalid', `No coding is from the ${kind}`, path));
    }
  }
}

/**
 * Binding issues of the values a profile binds (profiles/: claimedBoundValues, profileBoundValues:
 * the bindings a profile adds or changes, slices included), at their JSON paths.
 */
export function boundValueIssues(values: { expression: string; value: unknown; binding: { strength?: string; valueSet?: string }; profile?: string }[]): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const { expression, value, binding, profile } of values) {
    if (!binding.valueSet || !binding.strength || !CHECKED.has(binding.strength)) continue;
    const type = typeof value === 'string' ? 'code' : value && typeof value === 'object' ? ('coding' in value ? 'CodeableConcept' : 'Coding') : undefined;
    if (!type) continue;
    const found: OperationOutcomeIssue[] = [];
    checkBinding(value, type, binding.strength as Strength, binding.valueSet, expression, found);
    issues.push(...found.map((i) => (profile ? { ...i, diagnostics: `${i.diagnostics} (profile ${profile})` } : i)));
  }
  return issues;
}
