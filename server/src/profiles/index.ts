// Profiles: the shipped Meridian profiles (profiles/*.json) and StructureDefinitions written at runtime,
// with snapshots generated from their differentials, and validation of resources against them.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import type { Repository } from '../repo/index.js';
import { parseSearch } from '../search/index.js';
import { ProfileRegistry, boundElements, type BoundElement, type Profile, type ProfileLookup } from './registry.js';
import { profileBoundValues, profileIssues, type BoundValue } from './validate.js';

export { ProfileRegistry, ProfileError, boundElements, withSnapshot, type BoundElement, type Profile, type ProfileLookup } from './registry.js';
export { baseDefinitions, generateSnapshot, SnapshotError } from './snapshot.js';
export { profileBoundValues, profileIssues, type BoundValue } from './validate.js';

/**
 * The profiles of this process. Process-wide like @medplum/core's type index it files them in: the
 * validator is called from every write path, and a runtime profile is looked up in the database
 * (resolveClaimedProfiles) before the writes that claim it.
 */
let registry: ProfileRegistry | undefined;

export function profileRegistry(): ProfileRegistry {
  if (!registry) {
    registry = new ProfileRegistry();
    registry.loadShipped();
  }
  return registry;
}

/** The shipped StructureDefinitions, each with its generated snapshot. */
export function shippedProfiles(): StructureDefinition[] {
  return profileRegistry().loadShipped();
}

/** The profile of a canonical url ("url" or "url|version"), if this process knows it. */
export function getProfile(url: string): Profile | undefined {
  return profileRegistry().get(url);
}

/** The elements of the profile at url that declare a terminology binding (empty if the profile is unknown). */
export function profileBindings(url: string): BoundElement[] {
  const profile = getProfile(url);
  return profile ? boundElements(profile) : [];
}

/**
 * For terminology checks: the values of a resource that the profiles it claims (and this process knows)
 * bind to value sets, each with its JSON path, the binding and the profile url. Bindings of the base
 * definition are not repeated; an element inside a slice gives only the values in that slice.
 */
export function claimedBoundValues(resource: Resource): (BoundValue & { profile: string })[] {
  return claimedProfiles(resource).flatMap((url) => {
    const profile = getProfile(url);
    return profile ? profileBoundValues(resource, profile).map((v) => ({ ...v, profile: profile.url })) : [];
  });
}

/** Canonical urls of the profiles of a resource type, shipped ones first, for the CapabilityStatement. */
export function profilesOf(type: string): string[] {
  return profileRegistry()
    .list(type)
    .sort((a, b) => Number(b.source === 'shipped') - Number(a.source === 'shipped') || a.url.localeCompare(b.url))
    .map((p) => p.url);
}

/** Every meta.profile url of a resource (strings only). */
export function claimedProfiles(resource: Resource): string[] {
  const claimed = (resource as { meta?: { profile?: unknown } }).meta?.profile;
  return Array.isArray(claimed) ? claimed.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * Issues of a resource against every profile it claims in meta.profile: the errors of each profile
 * this process knows, and a warning for each url it does not know (it is not enforced).
 */
export function claimedProfileIssues(resource: Resource): OperationOutcomeIssue[] {
  const claimed = claimedProfiles(resource);
  if (!claimed.length) return [];
  requireResolved(claimed);
  const issues: OperationOutcomeIssue[] = [];
  for (const url of claimed) {
    const profile = profileRegistry().get(url);
    if (profile) issues.push(...profileIssues(resource, profile));
    else {
      issues.push({
        severity: 'warning',
        code: 'not-supported',
        diagnostics: `The profile ${url} is not known to this server; the resource was not validated against it`,
        expression: [`${resource.resourceType}.meta.profile`],
      });
    }
  }
  return issues;
}

/** Looks a StructureDefinition up by canonical url in the database (the newest if several). */
export function repoLookup(repo: Repository, baseUrl: string): ProfileLookup {
  return async (url) => {
    const request = parseSearch('StructureDefinition', new URLSearchParams({ url, _sort: '-_lastUpdated' }), { strict: false, baseUrl });
    const page = await repo.search(request, ['StructureDefinition'], 1, 'none');
    const found = page.matches[0];
    return found ? (JSON.parse(found.json) as StructureDefinition) : undefined;
  };
}

/**
 * Before a write (or $validate): the profiles the resources claim that are not shipped are read from
 * the database, so that a profile written by any process is enforced with its current version (parsed
 * once per id and versionId); so is the baseDefinition of a profile being written. A resource that
 * claims no profile costs nothing.
 */
export async function resolveClaimedProfiles(app: { repo: Repository; config: { baseUrl: string } }, resources: unknown[], extra: string[] = []): Promise<void> {
  const urls = [...extra];
  for (const r of resources) {
    if (!r || typeof r !== 'object') continue;
    urls.push(...claimedProfiles(r as Resource));
    const sd = r as StructureDefinition;
    if (sd.resourceType === 'StructureDefinition' && sd.derivation === 'constraint' && typeof sd.baseDefinition === 'string') urls.push(sd.baseDefinition);
  }
  if (urls.length) await profileRegistry().resolve(urls, repoLookup(app.repo, app.config.baseUrl));
}

/** Thrown by validation inside withClaimedProfilesResolved when a resource claims a profile not yet looked up. */
class UnresolvedProfiles extends Error {
  constructor(readonly urls: string[]) {
    super(`Profiles to look up first: ${urls.join(', ')}`);
  }
}

/** The urls looked up in the current withClaimedProfilesResolved call. */
const resolvedHere = new AsyncLocalStorage<Set<string>>();

/**
 * Runs a write whose resources are only known inside it (a PATCH's result): validation that meets a
 * claimed profile not looked up yet throws, which rolls the write back; the profile is looked up and
 * the write runs again (once per url).
 */
export async function withClaimedProfilesResolved<T>(app: { repo: Repository; config: { baseUrl: string } }, write: () => Promise<T>): Promise<T> {
  const resolved = new Set<string>();
  return resolvedHere.run(resolved, async () => {
    for (;;) {
      try {
        return await write();
      } catch (err) {
        if (!(err instanceof UnresolvedProfiles)) throw err;
        await profileRegistry().resolve(err.urls, repoLookup(app.repo, app.config.baseUrl));
        for (const url of err.urls) resolved.add(url);
      }
    }
  });
}

/** Inside withClaimedProfilesResolved: throws UnresolvedProfiles for claimed runtime urls not looked up yet. */
function requireResolved(claimed: string[]): void {
  const resolved = resolvedHere.getStore();
  if (!resolved) return;
  const missing = claimed.map((u) => u.split('|')[0]).filter((u) => !resolved.has(u) && !profileRegistry().isShipped(u));
  if (missing.length) throw new UnresolvedProfiles([...new Set(missing)]);
}
