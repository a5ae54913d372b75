// Validation on write: the body is a resource of the URL's type, its id is well formed, and it
// conforms to the R4 StructureDefinition (structure, types, cardinality, primitive formats) and to
// the required bindings of the base specification.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { checkRequiredBindings } from './bindings.js';
import { core, isResourceType } from './definitions.js';
import { FhirError, badRequest, issue, outcome } from './outcome.js';

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
  if (resource.id !== undefined && (typeof resource.id !== 'string' || !ID_PATTERN.test(resource.id))) {
    issues.push(issue('error', 'value', `"${String(resource.id)}" is not a valid resource id`, `${resource.resourceType}.id`));
  }
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
        expression: i.expression,
      });
    }
  }
  issues.push(...checkRequiredBindings(resource));
  return issues;
}

/** Throws 400 with every error found. */
export function assertValid(resource: Resource): void {
  const issues = validationIssues(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (issues.length) throw new FhirError(400, outcome(issues));
}
