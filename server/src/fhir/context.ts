// What every request handler is given: the application's dependencies and the request's principal.
import type Koa from 'koa';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';
import type { ExportRunner } from '../bulk/runner.js';
import type { ResourceScope } from '../auth/scopes.js';
import type { Auth } from '../auth/index.js';
import type { Access, AuditLog } from '../audit/index.js';
import type { Subscriptions } from '../subscriptions/index.js';
import type { Terminology } from '../terminology/index.js';

/** Dependencies, built once at start and passed in explicitly (no global singletons). */
export interface AppContext {
  config: Config;
  db: Db;
  repo: Repository;
  log: Logger;
  /** The bulk export worker of this process. */
  exports: ExportRunner;
  /** The authorization server. */
  auth: Auth;
  /** Where AuditEvents of reads and sign-ins are written (writes audit themselves, in their transaction). */
  audit: AuditLog;
  /** Subscription matching and delivery of this process. */
  subscriptions: Subscriptions;
  /** CodeSystems, ValueSets and ConceptMaps: shipped ones in memory, runtime ones from the database. */
  terminology: Terminology;
}

/**
 * Who is making the request: 'open' under AUTH_MODE=open (anyone may do anything), 'anonymous' on
 * the public endpoints (metadata, discovery), or the client an access token was issued to, with its
 * SMART resource scopes.
 */
export type Principal =
  | { kind: 'open' }
  | { kind: 'anonymous' }
  | {
      kind: 'token';
      clientId: string;
      /** The user who granted the token (absent for backend services). */
      accountId?: string;
      scopes: ResourceScope[];
      /** The patient in context: patient/ scopes reach only this patient's compartment. */
      patient?: string;
      /** The role of the user who consented (roles.ts). */
      role?: string;
      /** The user's sign-in name and FHIR resource (Practitioner/123), for the audit trail. */
      username?: string;
      fhirUser?: string;
      /** The Device a device's backend client is (client metadata meridian_device). */
      device?: string;
    };

export interface FhirState {
  app: AppContext;
  principal: Principal;
  /** This request's repository: its writes leave their AuditEvents in their own transaction. */
  repo: Repository;
  /** What the request read of patient data, for its AuditEvents (see audit/access.ts). */
  accessed?: Access[];
  /** The parsed JSON body of a write. */
  body?: unknown;
  /** Warnings of a write's validation (codes outside extensible bindings, ...), for Prefer: return=OperationOutcome. */
  warnings?: OperationOutcomeIssue[];
  /** The media type responses are sent as. */
  responseType: string;
}

export type FhirContext = Koa.ParameterizedContext<FhirState, Koa.DefaultContext & { params: Record<string, string> }>;
