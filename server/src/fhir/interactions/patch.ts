// patch with JSON Patch or FHIRPath Patch, at an id or by criteria (PATCH /Type?criteria).
import { requireInScope, searchBounds } from '../../auth/index.js';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../context.js';
import { bodyType } from '../format.js';
import { parseVersionHeader, respondWithWrite } from '../http.js';
import { badRequest, notFound, notSupported } from '../outcome.js';
import { applyFhirPathPatch, applyJsonPatch } from '../patch.js';
import { ID_PATTERN } from '../validate.js';
import { criteriaFrom, validResource } from './write-input.js';
import { withClaimedProfilesResolved } from '../../profiles/index.js';

function patcher(ctx: FhirContext): (current: Resource) => Resource {
  const body = ctx.state.body;
  if (body === undefined) throw badRequest('The PATCH request has no body');
  const type = bodyType(ctx);
  if (type === 'application/json-patch+json') return (current) => validResource(applyJsonPatch(current, body), ctx);
  if (type === 'application/fhir+json' || type === 'application/json') {
    return (current) => validResource(applyFhirPathPatch(current, body), ctx);
  }
  throw notSupported(415, 'PATCH takes application/json-patch+json (JSON Patch) or application/fhir+json (FHIRPath Patch)');
}

export async function patch(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  const patchWith = patcher(ctx);
  // under patient/ scopes the resource must be in the patient's record before and after
  const apply = (current: Resource) => {
    requireInScope(ctx, current, 'u');
    const patched = patchWith(current);
    requireInScope(ctx, patched, 'u');
    return patched;
  };
  // (the profiles the patched resource claims are resolved when met, and the patch run again)
  const result = await withClaimedProfilesResolved(ctx.state.app, () => ctx.state.repo.patch(type, id, apply, parseVersionHeader(ctx, 'If-Match')));
  respondWithWrite(ctx, 200, result.resource, `Patched ${type}/${id}`);
}

export async function conditionalPatch(ctx: FhirContext): Promise<void> {
  const { type } = ctx.params;
  if (!ctx.querystring) throw badRequest(`PATCH needs an id (PATCH /${type}/[id]) or search criteria (PATCH /${type}?...)`);
  const apply = patcher(ctx);
  const result = await withClaimedProfilesResolved(ctx.state.app, () =>
    ctx.state.repo.conditionalPatch(type, criteriaFrom(ctx.querystring), apply, parseVersionHeader(ctx, 'If-Match'), searchBounds(ctx, [type])),
  );
  respondWithWrite(ctx, 200, result.resource, `Patched ${type}/${result.resource.id}`);
}
