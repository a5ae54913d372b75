// read and vread.
import type { FhirContext } from '../context.js';
import { parseVersionHeader, setVersionHeaders } from '../http.js';
import { notFound } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';

export async function read(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  const resource = await ctx.state.app.repo.read(type, id);
  setVersionHeaders(ctx, resource);
  const ifNoneMatch = parseVersionHeader(ctx, 'If-None-Match');
  const ifModifiedSince = ctx.get('If-Modified-Since') ? Date.parse(ctx.get('If-Modified-Since')) : NaN;
  const lastModified = Math.floor(Date.parse(resource.meta!.lastUpdated!) / 1000) * 1000;
  if (
    (ifNoneMatch !== undefined && String(ifNoneMatch) === resource.meta?.versionId) ||
    (ifNoneMatch === undefined && !Number.isNaN(ifModifiedSince) && lastModified <= ifModifiedSince)
  ) {
    ctx.status = 304;
    return;
  }
  ctx.body = resource;
}

export async function vread(ctx: FhirContext): Promise<void> {
  const { type, id, vid } = ctx.params;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  const resource = await ctx.state.app.repo.vread(type, id, vid);
  setVersionHeaders(ctx, resource);
  ctx.body = resource;
}
