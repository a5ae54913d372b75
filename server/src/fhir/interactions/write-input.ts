// The resource a create or update writes: present, of the URL's type, and valid.
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../context.js';
import { badRequest } from '../outcome.js';
import { assertResourceOfType, assertValid } from '../validate.js';

export function resourceFromBody(ctx: FhirContext): Resource {
  const body = ctx.state.body;
  if (body === undefined) throw badRequest('The request has no body; send a FHIR resource as JSON');
  assertResourceOfType(body, ctx.params.type);
  return body;
}

/** The resource, when valid (else 400); its warnings are added to the response's (see respondWithWrite). */
export function validResource(resource: Resource, ctx: FhirContext): Resource {
  const warnings = assertValid(resource);
  if (warnings.length) ctx.state.warnings = warnings;
  return resource;
}

/** Search criteria from a query string or an If-None-Exist header ("identifier=a|b" or "Patient?identifier=a|b"). */
export function criteriaFrom(text: string): URLSearchParams {
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  return new URLSearchParams(query);
}
