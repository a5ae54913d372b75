// update (PUT /Type/id, update-as-create for a new id) and conditional update (PUT /Type?criteria).
import type { Resource } from '@medplum/fhirtypes';
import { patientScope, requireInScope, searchBounds } from '../../auth/index.js';
import type { FhirContext } from '../context.js';
import { parseVersionHeader, respondWithWrite } from '../http.js';
import { badRequest } from '../outcome.js';
import { assertValidId } from '../validate.js';
import { criteriaFrom, resourceFromBody, validResource } from './write-input.js';
import { resolveClaimedProfiles } from '../../profiles/index.js';

export async function update(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  assertValidId(id);
  const resource = resourceFromBody(ctx);
  if (resource.id === undefined) throw badRequest(`The resource must have an id equal to "${id}" from the URL`, `${type}.id`);
  if (resource.id !== id) throw badRequest(`The resource's id "${resource.id}" does not match "${id}" from the URL`, `${type}.id`);
  await resolveClaimedProfiles(ctx.state.app, [resource]);
  validResource(resource, ctx);
  await requireBothInScope(ctx, type, id, resource);
  const result = await ctx.state.repo.update(type, id, resource, parseVersionHeader(ctx, 'If-Match'));
  respondWithWrite(ctx, result.created ? 201 : 200, result.resource, `${result.created ? 'Created' : 'Updated'} ${type}/${id}`);
}

/** Under patient/ scopes, an update may neither move a resource into nor out of the patient's record. */
async function requireBothInScope(ctx: FhirContext, type: string, id: string, resource: Resource): Promise<void> {
  if (patientScope(ctx, type, 'u') === undefined) return;
  requireInScope(ctx, resource, 'u');
  const current = await ctx.state.repo.read(type, id).catch(() => undefined); // none: update-as-create
  if (current) requireInScope(ctx, current, 'u');
  else requireInScope(ctx, resource, 'c');
}

export async function conditionalUpdate(ctx: FhirContext): Promise<void> {
  const { type } = ctx.params;
  if (!ctx.querystring) throw badRequest(`PUT needs an id (PUT /${type}/[id]) or search criteria (PUT /${type}?...)`);
  const resource = resourceFromBody(ctx);
  if (resource.id !== undefined) assertValidId(resource.id);
  await resolveClaimedProfiles(ctx.state.app, [resource]);
  validResource(resource, ctx);
  const result = await ctx.state.repo.conditionalUpdate(type, criteriaFrom(ctx.querystring), resource, parseVersionHeader(ctx, 'If-Match'), searchBounds(ctx, [type]));
  const { id } = result.resource;
  respondWithWrite(ctx, result.created ? 201 : 200, result.resource, `${result.created ? 'Created' : 'Updated'} ${type}/${id}`);
}
