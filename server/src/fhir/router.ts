// HAPI-style routes of the FHIR REST API, relative to the base URL's path.
import Router from '@koa/router';
import { authIssuer, type Config } from '../config.js';
import { smartConfiguration } from '../auth/discovery.js';
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
import { submitOperation } from '../billing/submit.js';
import { fhirError, notFound } from './outcome.js';
import { interactionNeeds, requireScope } from '../auth/index.js';
import { refuseAuditWrites } from '../audit/index.js';
import type { Action } from '../auth/scopes.js';
import { bindingTokenOperation, eventsOperation, statusOperation } from '../subscriptions/index.js';
import { codeSystemValidateCodeOperation, expandOperation, lookupOperation, subsumesOperation, translateOperation, valueSetValidateCodeOperation } from '../terminology/index.js';

export function fhirRouter(config: Config, prefix: string, version: string): Router<FhirState> {
  const router = new Router<FhirState>({ prefix: prefix || undefined });
  const metadata = capabilityStatement(config, version, new Date().toISOString());
  const discovery = smartConfiguration(config, authIssuer(config));
  type Handler = (ctx: FhirContext) => Promise<void>;
  // Each route names the SMART actions it needs, on its resource type (typed) or on every type
  // (every: operations across types, until they check each type they touch). Searches and Bundles
  // check themselves, after parsing (chains and _has look into other types; entries have their own).
  // (every: a patient's compartment is not enough, these span every patient)
  type Need = (ctx: FhirContext) => [string, Action[], boolean?] | undefined;
  const typed = (...actions: Action[]): Need => (ctx) => [ctx.params.type, actions];
  const every = (...actions: Action[]): Need => () => ['*', actions, true];
  const checksItself: Need = () => undefined;
  const anyToken: Need = () => ['*', []];
  const h = (fn: Handler, need: Need) => (ctx: unknown) => {
    const c = ctx as FhirContext;
    const needed = need(c);
    if (needed) requireScope(c, ...needed);
    return fn(c);
  };
  const ALL: Action[] = ['c', 'r', 'u', 'd', 's'];
  // read, create, update, patch, delete, on an id or conditional (the same table as Bundle entries)
  // (conditional ones search within the caller's bounds, e.g. the patient's compartment: see searchBounds)
  const rest: Need = (ctx) => {
    refuseAuditWrites(ctx.params.type, ctx.method);
    const ifNoneExist = !!ctx.get('If-None-Exist');
    return [ctx.params.type, interactionNeeds(ctx.method, ctx.params.id === undefined, ifNoneExist)];
  };

  router.param('type', (type, ctx, next) => {
    if (type === 'metadata') throw fhirError(405, 'not-supported', 'metadata can only be read (GET)');
    if (!isResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
    return next();
  });

  router.get('/metadata', (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = metadata;
  });
  router.get('/.well-known/smart-configuration', (ctx) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    (ctx as unknown as FhirContext).state.responseType = 'application/json';
    ctx.body = discovery;
  });
  router.post('/', h(batchOrTransaction, checksItself)); // each entry is checked as its own interaction
  router.get('/\\$export', h(exportKickoff, checksItself));
  router.post('/\\$export', h(exportKickoff, checksItself));
  router.get('/\\$export-poll-status/:jobId', h(exportStatus, anyToken));
  router.delete('/\\$export-poll-status/:jobId', h(exportCancel, anyToken));
  router.get('/\\$bulk-file/:jobId/:name', h(exportFile, anyToken));
  router.get('/:type/\\$export', h(exportKickoff, checksItself));
  router.post('/:type/\\$export', h(exportKickoff, checksItself));
  router.get('/:type/:id/\\$export', h(exportKickoff, checksItself));
  router.post('/:type/:id/\\$export', h(exportKickoff, checksItself));
  router.get('/_history', h(history, every('r')));
  router.post('/\\$reindex', h(reindexOperation, every(...ALL)));
  router.post('/:type/\\$reindex', h(reindexOperation, every(...ALL)));
  router.post('/:type/:id/\\$reindex', h(reindexOperation, every(...ALL)));
  router.get('/:type/_history', h(history, typed('r')));
  router.post('/:type/\\$validate', h(validateOperation, typed()));
  // Claim/$submit: the demo payer's adjudicator (billing/); it creates the Claim and its ClaimResponse
  router.post('/Claim/\\$submit', h(submitOperation, () => ['Claim', ['c']]));
  router.get('/:type/:id/_history', h(history, typed('r')));
  router.get('/:type/:id/_history/:vid', h(vread, typed('r')));
  router.get('/:type/:id/\\$everything', h(everything, typed('r')));
  // Subscriptions Backport IG operations (the owner checks are theirs)
  const subscriptionRead: Need = () => ['Subscription', ['r']];
  for (const [name, op] of [['status', statusOperation], ['events', eventsOperation], ['get-ws-binding-token', bindingTokenOperation]] as const) {
    for (const path of [`/Subscription/:id/\\$${name}`, ...(name === 'events' ? [] : [`/Subscription/\\$${name}`])]) {
      router.get(path, h(op, subscriptionRead));
      router.post(path, h(op, subscriptionRead));
    }
  }
  // terminology operations, at the levels of their R4 OperationDefinitions
  const terminologyOperations = [
    ['CodeSystem', 'lookup', lookupOperation, false],
    ['CodeSystem', 'validate-code', codeSystemValidateCodeOperation, true],
    ['CodeSystem', 'subsumes', subsumesOperation, true],
    ['ValueSet', 'expand', expandOperation, true],
    ['ValueSet', 'validate-code', valueSetValidateCodeOperation, true],
    ['ConceptMap', 'translate', translateOperation, true],
  ] as const;
  for (const [type, name, op, onInstance] of terminologyOperations) {
    const need: Need = () => [type, ['r']];
    for (const path of [`/${type}/\\$${name}`, ...(onInstance ? [`/${type}/:id/\\$${name}`] : [])]) {
      router.get(path, h(op, need));
      router.post(path, h(op, need));
    }
  }
  router.get('/:type/:id/:compartmentType', h(compartmentSearch, checksItself));
  router.post('/:type/_search', h(search, checksItself));
  router.post('/:type/:id/\\$validate', h(validateOperation, typed()));
  router.get('/:type/:id', h(read, rest));
  router.put('/:type/:id', h(update, rest));
  router.patch('/:type/:id', h(patch, rest));
  router.delete('/:type/:id', h(remove, rest));
  router.get('/:type', h(search, checksItself));
  router.post('/:type', h(create, rest));
  router.put('/:type', h(conditionalUpdate, rest));
  router.patch('/:type', h(conditionalPatch, rest));
  router.delete('/:type', h(conditionalRemove, rest));
  return router;
}

export function allowedMethods(router: Router<FhirState>) {
  return router.allowedMethods({
    throw: true,
    methodNotAllowed: () => fhirError(405, 'not-supported', 'This method is not allowed on this URL'),
    notImplemented: () => fhirError(501, 'not-supported', 'This HTTP method is not implemented'),
  });
}
