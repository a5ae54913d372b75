// CDS Hooks 2.0 shapes (https://cds-hooks.hl7.org/2.0/) and the contract between the protocol code
// (router, request validation, prefetch, security, feedback, decision records) and the services.
import type { Bundle, Coding, Resource } from '@medplum/fhirtypes';

export type Hook = 'patient-view' | 'order-select' | 'order-sign' | 'appointment-book' | 'encounter-start' | 'encounter-discharge';

/** A service as discovery lists it (GET /cds-services). */
export interface CdsServiceDescription {
  id: string;
  hook: Hook;
  title: string;
  description: string;
  /** Prefetch templates: FHIR queries relative to the FHIR server, with {{context.patientId}}-style tokens. */
  prefetch?: Record<string, string>;
  usageRequirements?: string;
}

export interface CdsRequest {
  hook: Hook;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: { access_token: string; token_type: 'Bearer'; expires_in: number; scope: string; subject: string; patient?: string };
  context: Record<string, unknown>;
  prefetch?: Record<string, Resource | null>;
}

export interface CdsLink {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}

export interface CdsAction {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: Resource;
  /** For delete: "Type/id" references. */
  resourceId?: string[];
}

export interface CdsSuggestion {
  label: string;
  uuid?: string;
  isRecommended?: boolean;
  actions?: CdsAction[];
}

export interface CdsCard {
  uuid?: string;
  /** Under 140 characters. */
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; icon?: string; topic?: Coding };
  suggestions?: CdsSuggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
  links?: CdsLink[];
}

export interface CdsResponse {
  cards: CdsCard[];
  systemActions?: CdsAction[];
}

/** A rule that fired: recorded for every invocation, so a decision can be explained later. */
export interface FiredRule {
  /** The rule's id in its rules file, e.g. "interaction/warfarin-nsaid". */
  rule: string;
  /** The rules file's version. */
  version: string;
  /** Why, in words, naming the data that made it fire (codes, values, dates). */
  why: string;
}

/** Reads from the FHIR server the request names (Meridian itself, or another), with the request's authorization. */
export interface FhirReader {
  /** A search, relative to the FHIR base: "Appointment?practitioner=Practitioner/1&date=ge2026-01-01". All pages up to `max` resources. */
  search<T extends Resource = Resource>(query: string, max?: number): Promise<T[]>;
  read<T extends Resource = Resource>(type: string, id: string): Promise<T | undefined>;
}

export interface CdsInput {
  request: CdsRequest;
  /** Every prefetch key of the service filled: from the request, or fetched by the protocol code (null: nothing found). */
  prefetch: Record<string, Resource | Bundle | null>;
  /** For what prefetch cannot express (e.g. a practitioner's other appointments). */
  fhir: FhirReader;
  /** When the request is being decided (rules compare dates to it). */
  now: Date;
  /** Where Meridian's SMART apps are (`<origin of BASE_URL>/apps/`), for cards' SMART `links`; absent: no links. */
  appsUrl?: string;
}

export interface CdsServiceResult {
  cards: CdsCard[];
  systemActions?: CdsAction[];
  fired: FiredRule[];
}

/** A CDS service: its description and its rules. Cards get uuids from the protocol code if they lack one. */
export interface CdsService extends CdsServiceDescription {
  run(input: CdsInput): Promise<CdsServiceResult>;
}
