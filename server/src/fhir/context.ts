// What every request handler is given: the application's dependencies and the request's principal.
import type Koa from 'koa';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';
import type { ExportRunner } from '../bulk/runner.js';

/** Dependencies, built once at start and passed in explicitly (no global singletons). */
export interface AppContext {
  config: Config;
  db: Db;
  repo: Repository;
  log: Logger;
  /** The bulk export worker of this process. */
  exports: ExportRunner;
}

/** Who is making the request. Until SMART authorization arrives every caller is anonymous. */
export type Principal = { kind: 'anonymous' };

export interface FhirState {
  app: AppContext;
  principal: Principal;
  /** The parsed JSON body of a write. */
  body?: unknown;
  /** The media type responses are sent as. */
  responseType: string;
}

export type FhirContext = Koa.ParameterizedContext<FhirState, Koa.DefaultContext & { params: Record<string, string> }>;
