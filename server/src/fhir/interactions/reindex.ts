// $reindex at system, type and instance level: rebuilds search-index rows from the current
// definitions, synchronously, and answers with how many resources were reindexed.
import { reindex } from '../../repo/reindex.js';
import type { FhirContext } from '../context.js';
import { informational } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';
import { notFound } from '../outcome.js';

export async function reindexOperation(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  if (id !== undefined) {
    if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
    await ctx.state.app.repo.read(type, id);
  }
  const { db, config, log } = ctx.state.app;
  const count = await reindex(db, config.baseUrl, { resourceType: type, id }, (p) => log.info(p, 'reindex progress'));
  ctx.body = informational(`Reindexed ${count} resource${count === 1 ? '' : 's'}`);
}
