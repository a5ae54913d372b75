// The profiles this process knows: the shipped ones (profiles/*.json) and those written at runtime as
// StructureDefinitions with derivation "constraint". Each is kept with its generated snapshot and the
// schema @medplum/core parses from it, so validation never re-reads or re-parses a profile.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ElementDefinition, ElementDefinitionBinding, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes';
import { core } from '../fhir/definitions.js';
import { baseDefinitions, generateSnapshot, SnapshotError } from './snapshot.js';
import { fileSchema } from './validate.js';

export const PROFILES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../profiles');
const BASE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';

/** A usable profile: its StructureDefinition with a snapshot, and what @medplum/core parsed from it. */
export interface Profile {
  url: string;
  /** The resource type it constrains. */
  type: string;
  /** The StructureDefinition, snapshot included. */
  definition: StructureDefinition;
  /** @medplum/core's parse of the snapshot (InternalTypeSchema). */
  schema: ReturnType<typeof core.parseStructureDefinition>;
  /** id and meta.versionId of the stored StructureDefinition it was read from ("shipped" for shipped ones). */
  source: string;
}

/** An element of a profile that declares a terminology binding. */
export interface BoundElement {
  id: string;
  path: string;
  binding: ElementDefinitionBinding;
}

/** Finds a stored StructureDefinition by canonical url (a search of the database), or undefined. */
export type ProfileLookup = (url: string) => Promise<StructureDefinition | undefined>;

export class ProfileError extends Error {
  constructor(
    message: string,
    readonly expression = 'StructureDefinition',
  ) {
    super(message);
  }
}

/**
 * The StructureDefinition with its snapshot generated from its differential, checked to be usable:
 * kind resource, derivation constraint, a type and a known baseDefinition of that type (an R4 resource
 * or a profile this registry knows), a differential the generator can place, a snapshot
 * @medplum/core can parse. Throws ProfileError otherwise.
 */
export function withSnapshot(sd: StructureDefinition, known: (url: string) => Profile | undefined): { definition: StructureDefinition; schema: Profile['schema'] } {
  if (!sd.url) throw new ProfileError('A profile needs a url', 'StructureDefinition.url');
  if (sd.derivation !== 'constraint') throw new ProfileError('A profile has derivation "constraint"', 'StructureDefinition.derivation');
  if (sd.kind !== 'resource') throw new ProfileError('Only profiles of resources (kind "resource") are supported', 'StructureDefinition.kind');
  if (!sd.type) throw new ProfileError('A profile needs a type', 'StructureDefinition.type');
  if (!sd.baseDefinition) throw new ProfileError('A profile needs a baseDefinition', 'StructureDefinition.baseDefinition');
  const base = baseDefinitions().get(sd.baseDefinition) ?? known(sd.baseDefinition)?.definition;
  if (!base || base.kind !== 'resource') throw new ProfileError(`The baseDefinition ${sd.baseDefinition} is not a known resource definition or profile`, 'StructureDefinition.baseDefinition');
  if (base.type !== sd.type) throw new ProfileError(`The type ${sd.type} is not the type ${base.type} of the baseDefinition`, 'StructureDefinition.type');
  if (sd.baseDefinition === sd.url) throw new ProfileError('A profile cannot be based on itself', 'StructureDefinition.baseDefinition');
  let element: ElementDefinition[];
  try {
    element = sd.differential?.element?.length ? generateSnapshot(sd, base) : (sd.snapshot?.element ?? []);
  } catch (err) {
    if (!(err instanceof SnapshotError)) throw err;
    // a differential beyond this generator, with a snapshot of its own (one made by another tool): that snapshot
    if (!sd.snapshot?.element?.length) throw new ProfileError(`Cannot generate a snapshot: ${err.message}`, 'StructureDefinition.differential');
    element = sd.snapshot.element;
  }
  if (!element.length) throw new ProfileError('A profile needs a differential', 'StructureDefinition.differential');
  const definition: StructureDefinition = { ...sd, name: sd.name ?? sd.id ?? sd.type, snapshot: { element } };
  try {
    const schema = core.parseStructureDefinition(definition);
    checkConstraints(element);
    return { definition, schema };
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    throw new ProfileError(`The profile cannot be used: ${(err as Error).message}`, 'StructureDefinition.differential');
  }
}

/** Every constraint needs a FHIRPath expression that parses. */
function checkConstraints(elements: ElementDefinition[]): void {
  for (const e of elements) {
    for (const c of e.constraint ?? []) {
      if (!c.expression) throw new ProfileError(`Constraint ${c.key} of ${e.id} has no expression`, 'StructureDefinition.differential');
      try {
        core.parseFhirPath(c.expression);
      } catch (err) {
        throw new ProfileError(`Constraint ${c.key} of ${e.id}: ${(err as Error).message}`, 'StructureDefinition.differential');
      }
    }
  }
}

export class ProfileRegistry {
  private readonly byUrl = new Map<string, Profile>();
  private shipped: StructureDefinition[] | undefined;

  /** The shipped profiles (profiles/*.json), loaded once. */
  loadShipped(dir = PROFILES_DIR): StructureDefinition[] {
    if (this.shipped) return this.shipped;
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    const sds = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as StructureDefinition);
    // a profile may build on another shipped one: register bases first
    const pending = [...sds];
    while (pending.length) {
      const next = pending.findIndex((sd) => !pending.some((p) => p.url === sd.baseDefinition));
      const [sd] = pending.splice(next < 0 ? 0 : next, 1);
      this.register(sd, 'shipped');
    }
    this.shipped = sds.map((sd) => this.byUrl.get(sd.url!)!.definition);
    return this.shipped;
  }

  /** Makes sd known (replacing a profile of the same url); throws ProfileError when it is not usable. */
  register(sd: StructureDefinition, source = `${sd.id}/${sd.meta?.versionId ?? ''}`): Profile {
    const { definition, schema } = withSnapshot(sd, (url) => this.byUrl.get(url));
    const profile: Profile = { url: sd.url!, type: sd.type!, definition, schema, source };
    fileSchema(profile);
    this.byUrl.set(profile.url, profile);
    return profile;
  }

  /** Problems that make sd unusable as a profile (empty when it is usable, or not a profile at all). */
  problems(sd: StructureDefinition): OperationOutcomeIssue[] {
    if (!isResourceProfile(sd)) return [];
    try {
      withSnapshot(sd, (url) => this.byUrl.get(url));
      return [];
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      return [{ severity: 'error', code: 'invalid', diagnostics: err.message, expression: [err.expression] }];
    }
  }

  /** Whether url is a shipped profile or an R4 base definition: never looked up in the database. */
  isShipped(url: string): boolean {
    return this.byUrl.get(url)?.source === 'shipped' || url.startsWith(BASE_PREFIX);
  }

  get(url: string): Profile | undefined {
    return this.byUrl.get(url.split('|')[0]);
  }

  /** Every profile known, optionally of one resource type. */
  list(type?: string): Profile[] {
    return [...this.byUrl.values()].filter((p) => !type || p.type === type);
  }

  /**
   * Brings the runtime profiles among urls up to date with the database (lookup): a profile written,
   * changed or deleted by any process is enforced here as stored. Each stored version is parsed once
   * (cached by id and versionId). Shipped profiles and R4 base urls are not looked up. A stored
   * StructureDefinition that is not a usable profile stays unknown.
   */
  async resolve(urls: readonly string[] | undefined, lookup: ProfileLookup, seen = new Set<string>()): Promise<void> {
    for (const raw of urls ?? []) {
      const url = raw.split('|')[0];
      if (seen.has(url) || this.isShipped(url)) continue;
      seen.add(url);
      const sd = await lookup(url);
      if (!sd || !isResourceProfile(sd)) {
        this.byUrl.delete(url);
        continue;
      }
      const source = `${sd.id}/${sd.meta?.versionId ?? ''}`;
      if (this.byUrl.get(url)?.source === source) continue;
      try {
        if (sd.baseDefinition && !baseDefinitions().has(sd.baseDefinition)) await this.resolve([sd.baseDefinition], lookup, seen);
        this.register(sd, source);
      } catch (err) {
        if (!(err instanceof ProfileError)) throw err;
        this.byUrl.delete(url);
      }
    }
  }
}

/**
 * A StructureDefinition the registry takes as a profile: derivation constraint on a resource (profiles of
 * data types and extension definitions are stored like any resource, and not used for validation).
 */
export function isResourceProfile(sd: StructureDefinition): boolean {
  return sd.derivation === 'constraint' && (sd.kind === 'resource' || sd.kind === undefined);
}

/** The elements of a profile's snapshot that declare a binding (for terminology checks). */
export function boundElements(profile: Profile): BoundElement[] {
  return (profile.definition.snapshot?.element ?? [])
    .filter((e) => e.binding?.valueSet)
    .map((e) => ({ id: e.id!, path: e.path!, binding: e.binding! }));
}
