// The CapabilityStatement: what this server really does, built from the same definitions the
// routes use. Add to it only what a test shows working.
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { authIssuer, type Config } from '../config.js';
import { smartConfiguration } from '../auth/discovery.js';
import { indexedParams } from '../search/registry.js';
import { resourceTypes } from './definitions.js';
import { TOPICS } from '../subscriptions/topics.js';
import { profilesOf } from '../profiles/index.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport';

/** The terminology operations, by the type they are invoked on (server/src/terminology/operations.ts). */
const TERMINOLOGY_OPERATIONS: Record<string, string[]> = {
  CodeSystem: ['lookup', 'validate-code', 'subsumes'],
  ValueSet: ['expand', 'validate-code'],
  ConceptMap: ['translate'],
};

const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;
/** AuditEvents are written by the server (audit/): through the API they are only read. */
const READ_ONLY_INTERACTIONS = ['read', 'vread', 'history-instance', 'history-type', 'search-type'] as const;

export function capabilityStatement(config: Config, version: string, date: string): CapabilityStatement {
  // _revinclude: every reference parameter of any type that may point at a given type
  const revIncludes = new Map<string, string[]>();
  for (const source of resourceTypes()) {
    for (const p of indexedParams(source)) {
      if (p.type !== 'reference') continue;
      for (const target of p.definition.target ?? []) {
        if (!revIncludes.has(target)) revIncludes.set(target, []);
        revIncludes.get(target)!.push(`${source}:${p.code}`);
      }
    }
  }
  const resource: CapabilityStatementRestResource[] = resourceTypes().map((type) => ({
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    ...(profilesOf(type).length ? { supportedProfile: profilesOf(type) } : {}),
    ...(type === 'AuditEvent'
      ? {
          documentation: 'Recorded by the server for every access to patient data and every sign-in (IHE BALP); read-only, and readable only with a scope that names AuditEvent',
          interaction: READ_ONLY_INTERACTIONS.map((code) => ({ code })),
          conditionalRead: 'not-supported' as const,
        }
      : {
          interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
          versioning: 'versioned-update' as const,
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalRead: 'not-supported' as const,
          conditionalUpdate: true,
          conditionalDelete: 'single' as const,
        }),
    searchInclude: ['*', ...indexedParams(type).filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`)],
    ...(revIncludes.has(type) ? { searchRevInclude: revIncludes.get(type) } : {}),
    searchParam: [
      { name: '_id', type: 'token' as const, definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
      { name: '_lastUpdated', type: 'date' as const, definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
      { name: '_content', type: 'string' as const, definition: 'http://hl7.org/fhir/SearchParameter/Resource-content' },
      ...(type === 'Bundle' || type === 'Binary' || type === 'Parameters'
        ? []
        : [{ name: '_text', type: 'string' as const, definition: 'http://hl7.org/fhir/SearchParameter/DomainResource-text' }]),
      ...indexedParams(type).map((p) => ({
        name: p.code,
        type: p.type,
        definition: p.definition.url ?? `http://hl7.org/fhir/SearchParameter/Resource-${p.code.slice(1)}`,
      })),
    ],
    operation: [
      { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
      ...(type === 'Patient'
        ? [
            { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
            { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
          ]
        : []),
      ...(type === 'Claim' ? [{ name: 'submit', definition: 'http://hl7.org/fhir/OperationDefinition/Claim-submit', documentation: "Adjudicated by Meridian's demo payer (server/src/billing), not a real payer" }] : []),
      ...(type === 'Group' ? [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }] : []),
      ...(type === 'Subscription'
        ? [
            { name: 'status', definition: `${BACKPORT}/OperationDefinition/backport-subscription-status` },
            { name: 'events', definition: `${BACKPORT}/OperationDefinition/backport-subscription-events` },
            { name: 'get-ws-binding-token', definition: `${BACKPORT}/OperationDefinition/backport-subscription-get-ws-binding-token` },
          ]
        : []),
      ...(TERMINOLOGY_OPERATIONS[type] ?? []).map((name) => ({ name, definition: `http://hl7.org/fhir/OperationDefinition/${type}-${name}` })),
    ],
    ...(type === 'Subscription'
      ? {
          supportedProfile: [`${BACKPORT}/StructureDefinition/backport-subscription`],
          documentation:
            'R4 criteria subscriptions (criteria is a search URL, matched by the search engine) and topic-based ones ' +
            '(Subscriptions R5 Backport IG 1.1: criteria is one of the topics below, with backport-filter-criteria on its ' +
            'filter parameters), on rest-hook and websocket channels; payload empty, id-only or full-resource; handshake ' +
            'and heartbeat; $status, $events, $get-ws-binding-token. A subscription delivers only what its owner (who ' +
            'last wrote it) may read. Topics: ' + TOPICS.map((t) => `${t.url} (${t.title}; filters: ${t.filters.join(', ')})`).join('; '),
          extension: TOPICS.map((t) => ({ url: `${BACKPORT}/StructureDefinition/capabilitystatement-subscriptiontopic-canonical`, valueCanonical: t.url })),
        }
      : {}),
  }));
  const smart = smartConfiguration(config, authIssuer(config));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'Meridian',
    kind: 'instance',
    software: { name: 'Meridian', version },
    implementation: { description: 'Meridian FHIR R4 server', url: config.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Search: every listed parameter with its modifiers (string :exact :contains; token :not :text :of-type, ' +
          ':in :not-in (a ValueSet URL or ValueSet/id) :below :above (system|code, the code system hierarchy); ' +
          'reference :Type :identifier; uri :below :above; :missing), date/number/quantity prefixes, chaining, ' +
          '_has, _list, _include/_revinclude (:iterate, *), _sort, _count/_offset paging, _total, _summary, ' +
          '_elements, POST _search, _text/_content (plain full text), composites of a token with a token, quantity, date ' +
          'or string, Patient compartment search and Patient/$everything. ' +
          (config.authMode === 'open'
            ? 'WARNING: AUTH_MODE=open: this server answers anyone without an access token (development only).'
            : 'Every request needs a SMART access token: apps get one by EHR or standalone launch (authorization code with PKCE), ' +
              'backend services by client_credentials with private_key_jwt. Scopes are enforced per resource type and action; ' +
              'patient/ scopes reach only the compartment of the patient in context.'),
        security: {
          cors: true,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description: 'SMART App Launch 2 / Backend Services; see [base]/.well-known/smart-configuration',
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: smart.authorization_endpoint },
                { url: 'token', valueUri: smart.token_endpoint },
                { url: 'introspect', valueUri: smart.introspection_endpoint },
                { url: 'revoke', valueUri: smart.revocation_endpoint },
              ],
            },
          ],
        },
        resource,
        extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-websocket', valueUri: `${config.baseUrl.replace(/^http/, 'ws')}/ws` }],
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: [
          { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' },
          { name: 'reindex', definition: `${config.baseUrl}/OperationDefinition/reindex` },
        ],
      },
    ],
  };
}
