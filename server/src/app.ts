// The Koa app: middleware in order, and the routers. Nothing else.
import Koa from 'koa';
import { fhirMountPath } from './config.js';
import type { AppContext, FhirContext } from './fhir/context.js';
import { cors } from './fhir/cors.js';
import { errorResponses } from './fhir/errors.js';
import { negotiateFormat, readJsonBody, serializeJson } from './fhir/format.js';
import { noStore } from './fhir/no-store.js';
import { allowedMethods, fhirRouter } from './fhir/router.js';
import { logRequests } from './request-log.js';
import { adminRoutes, bearerAuth, interactionRoutes, launcherRoutes, mountProvider } from './auth/index.js';
import { appRoutes } from './apps/index.js';
import { auditAccess } from './audit/index.js';
import { subscriptionWrites } from './subscriptions/index.js';
import { CDS_PATH, cdsRoutes, SERVICES } from './cds/index.js';
import type { CdsService } from './cds/index.js';

export const VERSION = '0.1.0';

export function createApp(app: AppContext, cdsServices: CdsService[] = SERVICES): Koa {
  const koa = new Koa();
  const router = fhirRouter(app.config, fhirMountPath(app.config), VERSION);
  koa.use(async (ctx, next) => {
    const state = (ctx as FhirContext).state;
    state.app = app;
    state.principal = { kind: 'anonymous' };
    // a Subscription is checked, and its owner recorded, in the transaction that writes it
    state.repo = app.repo.withHook(subscriptionWrites(ctx as FhirContext));
    await next();
  });
  koa.use(logRequests());
  koa.use(noStore(fhirMountPath(app.config)));
  // the authorization server answers /auth/... itself, before FHIR content negotiation
  koa.use(mountProvider(app.auth.provider, new URL(app.auth.issuer).pathname));
  // login, patient picker and consent pages (HTML, their own errors)
  const { provider, accounts, contexts } = app.auth;
  koa.use(interactionRoutes({ provider, accounts, contexts, repo: app.repo, audit: app.audit, fhirBase: app.config.baseUrl }));
  koa.use(cors([fhirMountPath(app.config), '/launch', CDS_PATH])); // browser apps on other origins; preflights need no token
  koa.use(appRoutes(app)); // the SMART apps' pages and bundles (/apps/...), and / (the launcher)
  // CDS Hooks at the server root: JSON errors of its own, its own client JWTs; prefetch reads go
  // through this same app (the callback, made once every middleware is in)
  let self: ReturnType<Koa['callback']> | undefined;
  koa.use(cdsRoutes({ app, services: cdsServices, self: () => (self ??= koa.callback()) }));
  koa.use(serializeJson());
  koa.use(errorResponses());
  // every access to patient data leaves an AuditEvent, refusals too (so this comes before bearerAuth)
  koa.use(auditAccess());
  koa.use(launcherRoutes(app.config, app));
  koa.use(adminRoutes(app.config, app));
  koa.use(bearerAuth(app.config, app.auth.provider, fhirMountPath(app.config)));
  koa.use(negotiateFormat());
  koa.use(readJsonBody());
  koa.use(router.routes());
  koa.use(allowedMethods(router));
  return koa;
}
