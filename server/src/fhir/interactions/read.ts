// read and vread.
import type { FhirContext } from '../context.js';
import { etag, parseVersionHeader, setVersionHeaders } from '../http.js';
import { notFound } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';
import { reach, requireReadable } from '../../auth/index.js';
import { noteAccess, seen, seenJson } from '../../audit/index.js';

export async function read(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  // sent as the JSON text the database gives: no parse and stringify on the hottest path
  const { json, versionId, lastUpdated } = await ctx.state.repo.readJson(type, id);
  // a token limited to a patient's record or to granular queries: is this resource within them?
  if (reach(ctx, type, 'r') !== 'all') await requireReadable(ctx, JSON.parse(json));
  const found = seenJson(type, id, json, ctx.state.app.config.baseUrl);
  noteAccess(ctx, { interaction: 'read', action: 'R', seen: [{ ...found, ref: `${type}/${id}/_history/${versionId}` }], types: [type] });
  ctx.set('ETag', etag(versionId));
  ctx.set('Last-Modified', lastUpdated.toUTCString());
  const ifNoneMatch = parseVersionHeader(ctx, 'If-None-Match');
  const ifModifiedSince = ctx.get('If-Modified-Since') ? Date.parse(ctx.get('If-Modified-Since')) : NaN;
  const lastModified = Math.floor(lastUpdated.getTime() / 1000) * 1000;
  if (
    (ifNoneMatch !== undefined && ifNoneMatch === versionId) ||
    (ifNoneMatch === undefined && !Number.isNaN(ifModifiedSince) && lastModified <= ifModifiedSince)
  ) {
    ctx.status = 304;
    return;
  }
  ctx.type = `${ctx.state.responseType}; charset=utf-8`;
  ctx.body = ctx.query._pretty === 'true' ? JSON.stringify(JSON.parse(json), null, 2) : json;
}

export async function vread(ctx: FhirContext): Promise<void> {
  const { type, id, vid } = ctx.params;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  const resource = await ctx.state.repo.vread(type, id, vid);
  await requireReadable(ctx, resource);
  noteAccess(ctx, { interaction: 'vread', action: 'R', seen: [seen(resource, ctx.state.app.config.baseUrl)], types: [type] });
  setVersionHeaders(ctx, resource);
  ctx.body = resource;
}
