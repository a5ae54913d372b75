// delete and conditional delete (DELETE /Type?criteria).
import { patientScope, requireInScope, searchBounds } from '../../auth/index.js';
import type { FhirContext } from '../context.js';
import { etag, parseVersionHeader } from '../http.js';
import { badRequest, informational, notFound } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';
import { criteriaFrom } from './write-input.js';

export async function remove(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  if (patientScope(ctx, type, 'd') !== undefined) {
    const current = await ctx.state.repo.read(type, id).catch(() => undefined);
    if (current) requireInScope(ctx, current, 'd');
  }
  const result = await ctx.state.repo.delete(type, id, parseVersionHeader(ctx, 'If-Match'));
  if (result.versionId) ctx.set('ETag', etag(result.versionId));
  ctx.status = 200;
  ctx.body = informational(result.versionId ? `Deleted ${type}/${id}` : `${type}/${id} was already deleted`);
}

export async function conditionalRemove(ctx: FhirContext): Promise<void> {
  const { type } = ctx.params;
  if (!ctx.querystring) throw badRequest(`DELETE needs an id (DELETE /${type}/[id]) or search criteria (DELETE /${type}?...)`);
  const count = await ctx.state.repo.conditionalDelete(type, criteriaFrom(ctx.querystring), searchBounds(ctx, [type]));
  ctx.status = 200;
  ctx.body = informational(count ? `Deleted 1 ${type}` : `No ${type} matched the criteria; nothing was deleted`);
}
