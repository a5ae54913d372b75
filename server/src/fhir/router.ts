// HAPI-style routes of the FHIR REST API, relative to the base URL's path.
import Router from '@koa/router';
import type { Config } from '../config.js';
import { capabilityStatement } from './capability.js';
import type { FhirContext, FhirState } from './context.js';
import { isResourceType } from './definitions.js';
import { batchOrTransaction } from './interactions/bundle.js';
import { create } from './interactions/create.js';
import { exportCancel, exportFile, exportKickoff, exportStatus } from './interactions/export.js';
import { conditionalRemove, remove } from './interactions/delete.js';
import { history } from './interactions/history.js';
import { conditionalPatch, patch } from './interactions/patch.js';
import { read, vread } from './interactions/read.js';
import { reindexOperation } from './interactions/reindex.js';
import { compartmentSearch, everything, search } from './interactions/search.js';
import { conditionalUpdate, update } from './interactions/update.js';
import { validateOperation } from './interactions/validate.js';
import { fhirError, notFound } from './outcome.js';

export function fhirRouter(config: Config, prefix: string, version: string): Router<FhirState> {
  const router = new Router<FhirState>({ prefix: prefix || undefined });
  const metadata = capabilityStatement(config, version, new Date().toISOString());
  type Handler = (ctx: FhirContext) => Promise<void>;
  const h = (fn: Handler) => (ctx: unknown) => fn(ctx as FhirContext);

  router.param('type', (type, ctx, next) => {
    if (type === 'metadata') throw fhirError(405, 'not-supported', 'metadata can only be read (GET)');
    if (!isResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
    return next();
  });

  router.get('/metadata', (ctx) => {
    ctx.body = metadata;
  });
  router.post('/', h(batchOrTransaction));
  router.get('/\\$export', h(exportKickoff));
  router.post('/\\$export', h(exportKickoff));
  router.get('/\\$export-poll-status/:jobId', h(exportStatus));
  router.delete('/\\$export-poll-status/:jobId', h(exportCancel));
  router.get('/\\$bulk-file/:jobId/:name', h(exportFile));
  router.get('/:type/\\$export', h(exportKickoff));
  router.post('/:type/\\$export', h(exportKickoff));
  router.get('/:type/:id/\\$export', h(exportKickoff));
  router.post('/:type/:id/\\$export', h(exportKickoff));
  router.get('/_history', h(history));
  router.post('/\\$reindex', h(reindexOperation));
  router.post('/:type/\\$reindex', h(reindexOperation));
  router.post('/:type/:id/\\$reindex', h(reindexOperation));
  router.get('/:type/_history', h(history));
  router.post('/:type/\\$validate', h(validateOperation));
  router.get('/:type/:id/_history', h(history));
  router.get('/:type/:id/_history/:vid', h(vread));
  router.get('/:type/:id/\\$everything', h(everything));
  router.get('/:type/:id/:compartmentType', h(compartmentSearch));
  router.post('/:type/_search', h(search));
  router.post('/:type/:id/\\$validate', h(validateOperation));
  router.get('/:type/:id', h(read));
  router.put('/:type/:id', h(update));
  router.patch('/:type/:id', h(patch));
  router.delete('/:type/:id', h(remove));
  router.get('/:type', h(search));
  router.post('/:type', h(create));
  router.put('/:type', h(conditionalUpdate));
  router.patch('/:type', h(conditionalPatch));
  router.delete('/:type', h(conditionalRemove));
  return router;
}

export function allowedMethods(router: Router<FhirState>) {
  return router.allowedMethods({
    throw: true,
    methodNotAllowed: () => fhirError(405, 'not-supported', 'This method is not allowed on this URL'),
    notImplemented: () => fhirError(501, 'not-supported', 'This HTTP method is not implemented'),
  });
}
