// create, and conditional create with If-None-Exist.
import { requireInScope, searchBounds } from '../../auth/index.js';
import type { FhirContext } from '../context.js';
import { respondWithWrite } from '../http.js';
import { criteriaFrom, resourceFromBody, validResource } from './write-input.js';
import { resolveClaimedProfiles } from '../../profiles/index.js';

export async function create(ctx: FhirContext): Promise<void> {
  const body = resourceFromBody(ctx);
  // The server assigns the id and ignores the client's (FHIR R4 create); an id that is not even a
  // string is left for validation to report.
  const { id, ...rest } = body;
  const resource = typeof id === 'string' ? (rest as typeof body) : body;
  await resolveClaimedProfiles(ctx.state.app, [resource]);
  validResource(resource, ctx);
  requireInScope(ctx, resource, 'c');
  const ifNoneExist = ctx.get('If-None-Exist');
  const result = await ctx.state.repo.create(resource, ifNoneExist ? criteriaFrom(ifNoneExist) : undefined, searchBounds(ctx, [resource.resourceType]));
  if (result.matched) {
    respondWithWrite(ctx, 200, result.resource, 'A matching resource exists; nothing was created');
  } else {
    respondWithWrite(ctx, 201, result.resource, `Created ${result.resource.resourceType}/${result.resource.id}`);
  }
}
