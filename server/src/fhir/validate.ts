// Validation on write: the body is a resource of the URL's type, its id is well formed, and it
// conforms to the R4 StructureDefinition (structure, types, cardinality, primitive formats) and to
// the required bindings of the base specification.
import type { CodeSystemConcept, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { bindingIssues, boundValueIssues } from './bindings.js';
import { jsonRuleIssues } from './json-rules.js';
import { narrativeIssues } from './narrative.js';
import { core, isResourceType } from './definitions.js';
import { FhirError, badRequest, issue, outcome } from './outcome.js';
import { claimedBoundValues, claimedProfileIssues, profileRegistry } from '../profiles/index.js';

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertValidId(id: string): void {
  if (!ID_PATTERN.test(id)) {
    throw badRequest(`"${id}" is not a valid resource id (1-64 characters of A-Z, a-z, 0-9, "-" and ".")`);
  }
}

/** Checks that body is a JSON object naming a known resource type, and that type matches the URL's. */
export function assertResourceOfType(body: unknown, expectedType?: string): asserts body is Resource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object holding a FHIR resource');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') {
    throw badRequest('The resource has no resourceType', 'resourceType');
  }
  if (!isResourceType(resourceType)) {
    throw badRequest(`Unknown resource type "${resourceType}"`, 'resourceType');
  }
  if (expectedType && resourceType !== expectedType) {
    throw badRequest(`resourceType "${resourceType}" does not match the URL's type "${expectedType}"`, 'resourceType');
  }
}

/** All problems of a resource as OperationOutcome issues; empty when it is valid. */
export function validationIssues(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const checkId = (r: Resource, path: string) => {
    if (r?.id !== undefined && (typeof r.id !== 'string' || !ID_PATTERN.test(r.id))) {
      issues.push(issue('error', 'value', `"${String(r.id)}" is not a valid resource id`, `${path}.id`));
    }
  };
  checkId(resource, resource.resourceType);
  const contained = (resource as { contained?: Resource[] }).contained;
  if (Array.isArray(contained)) contained.forEach((r, i) => checkId(r, `${resource.resourceType}.contained[${i}]`));
  try {
    core.validateResource(resource);
  } catch (err) {
    const found = (err as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome?.issue;
    if (!found) throw err;
    for (const i of found) {
      issues.push({
        severity: i.severity,
        code: i.code === 'structure' ? 'structure' : i.code,
        diagnostics: i.details?.text ?? i.diagnostics,
        expression: i.expression?.map((e) => concretePath(resource, e)),
      });
    }
  }
  issues.push(...bindingIssues(resource));
  if (resource.resourceType === 'CodeSystem') issues.push(...uniqueCodeIssues(resource.concept));
  issues.push(...jsonRuleIssues(resource, resource.resourceType));
  forEachNarrative(resource, resource.resourceType, (div, path) => issues.push(...narrativeIssues(div, path)));
  if (resource.resourceType === 'StructureDefinition') issues.push(...profileRegistry().problems(resource));
  issues.push(...profileValidationIssues(resource, claimedProfileIssues(resource), issues));
  issues.push(...boundValueIssues(claimedBoundValues(resource)));
  return issues;
}

/**
 * Issues of a resource against profiles (profileIssues of one profile, or claimedProfileIssues), with
 * paths named as in the JSON, leaving out what the base definition's validation reported already (known).
 */
export function profileValidationIssues(resource: Resource, found: OperationOutcomeIssue[], known: OperationOutcomeIssue[] = []): OperationOutcomeIssue[] {
  if (!found.length) return [];
  // a warning at an element already warned about (a reference's target type) is said once
  const key = (i: OperationOutcomeIssue) => `${i.severity}|${i.expression?.join()}|${i.severity === 'warning' && i.code === 'structure' ? '' : (i.diagnostics ?? '').replace(/ \(profile [^)]*\)$/, '')}`;
  const seen = new Set(known.map(key));
  const out: OperationOutcomeIssue[] = [];
  for (const i of found) {
    const mapped = { ...i, expression: i.expression?.map((e) => concretePath(resource, e)) };
    if (seen.has(key(mapped))) continue;
    seen.add(key(mapped));
    out.push(mapped);
  }
  return out;
}

/** Calls fn with the narrative div of the resource and of each contained resource. */
function forEachNarrative(resource: Resource, path: string, fn: (div: unknown, path: string) => void): void {
  const text = (resource as { text?: { div?: unknown } }).text;
  if (text && typeof text === 'object' && 'div' in text) fn(text.div, `${path}.text.div`);
  const contained = (resource as { contained?: unknown }).contained;
  if (Array.isArray(contained)) {
    contained.forEach((r, i) => r && typeof r === 'object' && forEachNarrative(r as Resource, `${path}.contained[${i}]`, fn));
  }
}

/** csd-1, checked with a Set (its FHIRPath, which compares every pair, is left out: definitions.ts). */
function uniqueCodeIssues(concepts: CodeSystemConcept[] | undefined): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const visit = (list: CodeSystemConcept[] | undefined) => {
    for (const c of list ?? []) {
      if (typeof c?.code === 'string') (seen.has(c.code) ? duplicates : seen).add(c.code);
      if (Array.isArray(c?.concept)) visit(c.concept);
    }
  };
  visit(Array.isArray(concepts) ? concepts : undefined);
  if (!duplicates.size) return [];
  const listed = [...duplicates].slice(0, 10).map((c) => `"${c}"`).join(', ');
  return [issue('error', 'invariant', `Constraint csd-1 not met: within a code system definition, all the codes SHALL be unique (repeated: ${listed})`, 'CodeSystem.concept')];
}

/** Throws 400 with every error found; returns the warnings (e.g. codes outside an extensible binding). */
export function assertValid(resource: Resource): OperationOutcomeIssue[] {
  const issues = validationIssues(resource);
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length) throw new FhirError(400, outcome(errors));
  return issues;
}

/** Names choice elements as they appear in the JSON: Observation.value[x].value -> Observation.valueQuantity.value. */
function concretePath(resource: Resource, expression: string): string {
  if (!expression.includes('[x]')) return expression;
  const segments = expression.split('.');
  let node: unknown = resource;
  for (let i = 1; i < segments.length; i++) {
    const match = /^([^[]+)(\[x\])?(?:\[(\d+)\])?$/.exec(segments[i]);
    if (!match || !node || typeof node !== 'object') break;
    const [, name, choice, index] = match;
    let key = name;
    if (choice) {
      key = Object.keys(node).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length))) ?? name;
      segments[i] = key + (index !== undefined ? `[${index}]` : '');
    }
    node = (node as Record<string, unknown>)[key];
    if (Array.isArray(node)) node = node[Number(index ?? 0)];
  }
  return segments.join('.');
}
