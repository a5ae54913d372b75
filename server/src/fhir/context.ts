// What every request handler is given: the application's dependencies and the request's principal.
import type Koa from 'koa';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';
import type { ExportRunner } from '../bulk/runner.js';
import type { ResourceScope } from '../auth/scopes.js';
import type { Auth } from '../auth/index.js';

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
    };

export interface FhirState {
  app: AppContext;
  principal: Principal;
  /** The parsed JSON body of a write. */
  body?: unknown;
  /** The media type responses are sent as. */
  responseType: string;
}

export type FhirContext = Koa.ParameterizedContext<FhirState, Koa.DefaultContext & { params: Record<string, string> }>;
