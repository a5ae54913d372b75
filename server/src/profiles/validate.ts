// Validation of a resource against one profile: @medplum/core's validator run on the profile's parsed
// snapshot (cardinality, types, fixed and pattern values, slicing by value/pattern/type discriminators
// with slice cardinality, FHIRPath constraints), plus what it leaves out: the elements inside a slice
// (their cardinality and fixed/pattern values) are checked here.
import type { ElementDefinition, ElementDefinitionBinding, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { core } from '../fhir/definitions.js';
import type { Profile } from './registry.js';
import { baseDefinitions } from './snapshot.js';

/**
 * The name the profile's parsed schema is filed under in @medplum/core's type index: the validator
 * takes a StructureDefinition and parses it on every call (milliseconds), but validates a value of a
 * known type name with that type's schema. Filing the schema under a name of its own (never a real
 * type name, and without its inner types, which would replace the base ones) lets it be parsed once.
 */
export function schemaKey(url: string): string {
  return `meridian-profile|${url}`;
}

export function fileSchema(profile: Profile): void {
  // kind "profile": not a resource type to core.getResourceTypes(), which lists the index's resources
  (core.getAllDataTypes() as Record<string, unknown>)[schemaKey(profile.url)] = { ...profile.schema, kind: 'profile' };
}

/** Issues as @medplum/core reports them (expression paths in its form: Observation.value[x]), errors and warnings. */
export function profileIssues(resource: Resource, profile: Profile): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  if (resource.resourceType !== profile.type) {
    return [{ severity: 'error', code: 'invalid', diagnostics: `The profile ${profile.url} is for ${profile.type}, not ${resource.resourceType}`, expression: [resource.resourceType] }];
  }
  try {
    issues.push(...core.validateTypedValue({ type: schemaKey(profile.url), value: resource }));
  } catch (err) {
    const found = (err as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome?.issue;
    if (!found) throw err;
    issues.push(...found);
  }
  issues.push(...sliceContentIssues(resource, profile));
  return issues.filter((i) => !isPlaceholderReferenceWarning(i)).map((i) => ({ ...i, diagnostics: `${i.details?.text ?? i.diagnostics ?? ''} (profile ${profile.url})`, details: undefined }));
}

/** The target type of a urn:uuid/urn:oid reference (a Bundle entry's, rewritten before it is stored) is not known here. */
function isPlaceholderReferenceWarning(i: OperationOutcomeIssue): boolean {
  const text = i.details?.text ?? i.diagnostics ?? '';
  return i.severity === 'warning' && text.startsWith('Invalid reference: got "urn:');
}

interface SliceRule {
  /** The sliced element's path relative to the resource, e.g. component or value[x]. */
  path: string;
  slice: ElementDefinition;
  discriminators: { type: string; path: string }[];
  /** Discriminating and checked children, by path relative to the slice. */
  children: { path: string; element: ElementDefinition }[];
}

const rulesCache = new WeakMap<Profile, SliceRule[]>();

/** The slices of a profile (top-level sliced elements only) with their constrained children. */
function sliceRules(profile: Profile): SliceRule[] {
  let rules = rulesCache.get(profile);
  if (rules) return rules;
  rules = [];
  const elements = profile.definition.snapshot?.element ?? [];
  const root = elements[0]?.path ?? profile.type;
  for (const e of elements) {
    if (!e.sliceName || e.id!.split(':').length !== 2) continue;
    const slicedId = e.id!.slice(0, e.id!.lastIndexOf(':'));
    const sliced = elements.find((x) => x.id === slicedId);
    if (!sliced?.slicing?.discriminator?.length || slicedId.includes(':')) continue;
    const children = elements
      .filter((c) => c.id!.startsWith(e.id! + '.') && (c.min || c.max === '0' || c.fixedUri !== undefined || hasFixedOrPattern(c)))
      .map((c) => ({ path: c.id!.slice(e.id!.length + 1), element: c }));
    rules.push({ path: slicedId.slice(root.length + 1), slice: e, discriminators: sliced.slicing.discriminator.map((d) => ({ type: d.type!, path: d.path! })), children });
  }
  rulesCache.set(profile, rules);
  return rules;
}

function hasFixedOrPattern(e: ElementDefinition): boolean {
  return Object.keys(e).some((k) => k.startsWith('fixed') || k.startsWith('pattern'));
}

function fixedOrPattern(e: ElementDefinition): { kind: 'fixed' | 'pattern'; value: unknown } | undefined {
  for (const [k, v] of Object.entries(e)) {
    if (k.startsWith('fixed')) return { kind: 'fixed', value: v };
    if (k.startsWith('pattern')) return { kind: 'pattern', value: v };
  }
  return undefined;
}

/** Values at a dotted path below node (arrays flattened); name[x] matches any nameType key. */
function valuesAt(node: unknown, path: string): { key: string; value: unknown }[] {
  let current: { key: string; value: unknown }[] = [{ key: '', value: node }];
  for (const segment of path.split('.')) {
    const next: { key: string; value: unknown }[] = [];
    for (const { value } of current) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
      const keys = segment.endsWith('[x]')
        ? Object.keys(value).filter((k) => k.startsWith(segment.slice(0, -3)) && /^[A-Z]/.test(k.slice(segment.length - 3)))
        : [segment];
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) next.push({ key, value: item });
      }
    }
    current = next;
  }
  return current;
}

/** Whether value contains pattern (every property of pattern present with a matching value; arrays: each pattern item matched by some item). */
function includes(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return Array.isArray(value) && pattern.every((p) => value.some((v) => includes(v, p)));
  if (pattern && typeof pattern === 'object') {
    return !!value && typeof value === 'object' && Object.entries(pattern).every(([k, p]) => includes((value as Record<string, unknown>)[k], p));
  }
  return value === pattern;
}

function typeOfKey(key: string, slicedPath: string): string {
  const base = slicedPath.slice(slicedPath.lastIndexOf('.') + 1).replace('[x]', '');
  return key.slice(base.length);
}

function belongsToSlice(rule: SliceRule, key: string, value: unknown): boolean {
  return rule.discriminators.every((d) => {
    if (d.type === 'type') {
      const type = typeOfKey(key, rule.path);
      return !!rule.slice.type?.some((t) => t.code.toLowerCase() === type.toLowerCase());
    }
    const target = d.path === '$this' ? rule.slice : rule.children.find((c) => c.path === d.path)?.element;
    const expected = target && fixedOrPattern(target);
    if (!expected) return false;
    const found = d.path === '$this' ? [{ key, value }] : valuesAt(value, d.path);
    return found.some((f) => (expected.kind === 'fixed' ? JSON.stringify(f.value) === JSON.stringify(expected.value) : includes(f.value, expected.value)));
  });
}

/** Cardinality and fixed/pattern values of the children of each slice, for the values in that slice. */
function sliceContentIssues(resource: Resource, profile: Profile): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const rule of sliceRules(profile)) {
    if (!rule.children.length) continue;
    const values = valuesAt(resource, rule.path);
    values.forEach(({ key, value }, index) => {
      if (!belongsToSlice(rule, key, value)) return;
      const at = `${profile.type}.${rule.path.endsWith('[x]') ? key : `${rule.path}[${index}]`}`;
      for (const { path, element } of rule.children) {
        if (path.includes('.')) continue; // direct children only
        const found = valuesAt(value, path);
        const max = element.max === '*' ? Infinity : Number(element.max ?? Infinity);
        if (found.length < (element.min ?? 0) || found.length > max) {
          issues.push({
            severity: 'error',
            code: 'structure',
            diagnostics: `Slice '${rule.slice.sliceName}': ${path} has ${found.length} values, expected ${element.min ?? 0}..${element.max ?? '*'}`,
            expression: [`${at}.${path}`],
          });
        }
        const expected = fixedOrPattern(element);
        if (expected && found.some((f) => !(expected.kind === 'fixed' ? JSON.stringify(f.value) === JSON.stringify(expected.value) : includes(f.value, expected.value)))) {
          issues.push({ severity: 'error', code: 'value', diagnostics: `Slice '${rule.slice.sliceName}': ${path} does not have the ${expected.kind} value ${JSON.stringify(expected.value)}`, expression: [`${at}.${path}`] });
        }
      }
    });
  }
  return issues;
}

/** A value of a resource that a profile binds to a value set: where it is, what it is, and the binding. */
export interface BoundValue {
  /** The value's path as in the JSON: Observation.component[0].code, Observation.valueQuantity.code. */
  expression: string;
  value: unknown;
  /** The profile element that binds it (Observation.component:systolic.code). */
  elementId: string;
  binding: ElementDefinitionBinding;
}

const bindingsCache = new WeakMap<Profile, ElementDefinition[]>();

/** The profile's elements whose binding is its own (not the same as the R4 base element's). */
function ownBindings(profile: Profile): ElementDefinition[] {
  let found = bindingsCache.get(profile);
  if (found) return found;
  const base = baseDefinitions().get(`http://hl7.org/fhir/StructureDefinition/${profile.type}`)?.snapshot?.element ?? [];
  found = (profile.definition.snapshot?.element ?? []).filter((e) => {
    if (!e.binding?.valueSet) return false;
    const same = base.find((b) => b.id === e.path);
    return !same?.binding || same.binding.valueSet !== e.binding.valueSet || same.binding.strength !== e.binding.strength;
  });
  bindingsCache.set(profile, found);
  return found;
}

/**
 * The values of resource that the profile binds to a value set (bindings the profile adds or changes;
 * those of the base definition are the base validation's): for an element inside a slice, only the
 * values that belong to that slice.
 */
export function profileBoundValues(resource: Resource, profile: Profile): BoundValue[] {
  if (resource.resourceType !== profile.type) return [];
  const out: BoundValue[] = [];
  for (const element of ownBindings(profile)) {
    for (const { expression, value } of valuesOfElement(resource, profile, element.id!)) {
      out.push({ expression, value, elementId: element.id!, binding: element.binding! });
    }
  }
  return out;
}

/** The values of resource at a snapshot element id (slice names select the values of that slice). */
function valuesOfElement(resource: Resource, profile: Profile, elementId: string): { expression: string; value: unknown }[] {
  const segments = elementId.split('.');
  let current: { expression: string; value: unknown }[] = [{ expression: profile.type, value: resource }];
  for (let i = 1; i < segments.length; i++) {
    const [name, sliceName] = segments[i].split(':');
    const rule = sliceName ? sliceRules(profile).find((r) => r.slice.id === segments.slice(0, i + 1).join('.')) : undefined;
    if (sliceName && !rule) return [];
    const next: { expression: string; value: unknown }[] = [];
    for (const { expression, value } of current) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
      const keys = name.endsWith('[x]') ? Object.keys(value).filter((k) => k.startsWith(name.slice(0, -3)) && /^[A-Z]/.test(k.slice(name.length - 3))) : [name];
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
        items.forEach((item, index) => {
          if (rule && !belongsToSlice(rule, key, item)) return;
          next.push({ expression: `${expression}.${key}${Array.isArray(v) ? `[${index}]` : ''}`, value: item });
        });
      }
    }
    current = next;
  }
  return current;
}
