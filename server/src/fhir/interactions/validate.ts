// $validate at type and instance level: the OperationOutcome of a write, without the write.
// As the operation's definition says, it answers 200 whether or not the resource is valid.
import type { Parameters, Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../context.js';
import { FhirError, badRequest, informational, outcome } from '../outcome.js';
import { assertResourceOfType, profileValidationIssues, validationIssues } from '../validate.js';
import { claimedProfiles, getProfile, profileBoundValues, profileIssues, resolveClaimedProfiles, type Profile } from '../../profiles/index.js';
import { boundValueIssues } from '../bindings.js';

export async function validateOperation(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  let body = ctx.state.body as Resource | Parameters | undefined;
  if (body === undefined) throw badRequest('$validate needs a resource in the body');
  let profileUrl = typeof ctx.query.profile === 'string' ? ctx.query.profile : undefined;
  if (Array.isArray(ctx.query.profile)) throw badRequest('$validate takes one profile');
  if (body.resourceType === 'Parameters' && type !== 'Parameters') {
    const mode = body.parameter?.find((p) => p.name === 'mode')?.valueCode;
    if (mode && mode !== 'create' && mode !== 'update') throw badRequest(`$validate mode "${mode}" is not supported (create, update)`);
    const resource = body.parameter?.find((p) => p.name === 'resource')?.resource;
    if (!resource) throw badRequest('$validate Parameters need a "resource" parameter');
    const profileParam = body.parameter?.find((p) => p.name === 'profile');
    if (profileParam) profileUrl = profileParam.valueUri ?? profileParam.valueCanonical ?? profileParam.valueString;
    if (profileParam && !profileUrl) throw badRequest('The $validate "profile" parameter needs a valueUri');
    body = resource;
  }
  assertResourceOfType(body, type);
  // As the operation's definition says, a profile the server cannot validate against is an error:
  // 400, since it is a parameter of the request that is wrong (the endpoint and resource exist).
  await resolveClaimedProfiles(ctx.state.app, [body], profileUrl === undefined ? [] : [profileUrl]);
  const profile = profileUrl === undefined ? undefined : knownProfile(profileUrl);
  const issues = validationIssues(body);
  if (profile) {
    issues.push(...profileValidationIssues(body, profileIssues(body, profile), issues));
    // (a profile the resource also claims was checked with the claims)
    if (!claimedProfiles(body).includes(profile.url)) issues.push(...boundValueIssues(profileBoundValues(body, profile).map((v) => ({ ...v, profile: profile.url }))));
  }
  if (id !== undefined && body.id !== id) {
    issues.push({ severity: 'error', code: 'invalid', diagnostics: `The resource's id does not match "${id}" from the URL`, expression: [`${type}.id`] });
  }
  ctx.body = issues.length ? outcome(issues) : informational('Validation successful: no issues found');
}

/** The profile at url; 400 when this server does not know it. */
function knownProfile(url: string): Profile {
  const profile = getProfile(url);
  if (!profile) {
    throw new FhirError(400, outcome([{ severity: 'error', code: 'not-found', diagnostics: `The profile ${url} is not known to this server`, expression: ['profile'] }]));
  }
  return profile;
}
