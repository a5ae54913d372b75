// search-type (GET /Type?...): the criteria the search module understands so far (_id and token
// parameters), paged in id order with a cursor so that pages neither skip nor repeat resources.
import type { Bundle } from '@medplum/fhirtypes';
import { parseCriteria } from '../../search/index.js';
import type { FhirContext } from '../context.js';
import { badRequest } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';

const DEFAULT_COUNT = 20;

export async function search(ctx: FhirContext): Promise<void> {
  const { type } = ctx.params;
  const { config, repo } = ctx.state.app;
  const query = new URLSearchParams(ctx.querystring);
  const criteria = parseCriteria(type, query, false);
  const rawCount = query.get('_count');
  if (rawCount !== null && !/^[0-9]+$/.test(rawCount)) throw badRequest(`_count must be a whole number, got "${rawCount}"`);
  const count = Math.max(1, Math.min(rawCount === null ? DEFAULT_COUNT : Number(rawCount), config.maxPageSize));
  const cursor = query.get('_cursor');
  if (cursor !== null && !ID_PATTERN.test(cursor)) throw badRequest('_cursor is not a valid paging cursor');
  const page = await repo.search(type, criteria, count, cursor ?? undefined);

  const self = `${config.baseUrl}/${type}${ctx.querystring ? `?${ctx.querystring}` : ''}`;
  const link: Bundle['link'] = [{ relation: 'self', url: self }];
  if (page.nextAfter) {
    query.set('_cursor', page.nextAfter);
    link.push({ relation: 'next', url: `${config.baseUrl}/${type}?${query}` });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    link,
    entry: page.resources.map((resource) => ({
      fullUrl: `${config.baseUrl}/${type}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
  ctx.body = bundle;
}
