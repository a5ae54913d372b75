// CDS Hooks 2.0: the protocol (discovery, invocation, feedback, prefetch, client JWTs, decision
// records) around the services of services/. Public surface.
export { cdsRoutes, describe, CDS_PATH, type CdsRouterOptions } from './router.js';
export { SERVICES } from './services/index.js';
export { parseHookRequest, parseFeedback, CdsError, HOOK_CONTEXT, type CdsFeedback } from './protocol.js';
export { renderTemplate, fillPrefetch } from './prefetch.js';
export { CdsAuthenticator, readCdsClients, type CdsClient } from './security.js';
export { CDS_EVENT_TYPE, CDS_RULE_SYSTEM, CDS_SERVICE_SYSTEM, CDS_CARD_SYSTEM } from './records.js';
export { httpFhirReader } from './fhir-reader.js';
export type * from './types.js';
export { CdsHooksClient, CdsClientError, type CdsHooksClientOptions, type FhirAccess, type CdsFeedbackEntry } from './client.js';
