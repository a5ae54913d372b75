// $validate at type and instance level: the OperationOutcome of a write, without the write.
// As the operation's definition says, it answers 200 whether or not the resource is valid.
import type { Parameters, Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../context.js';
import { badRequest, informational, outcome } from '../outcome.js';
import { assertResourceOfType, validationIssues } from '../validate.js';

export async function validateOperation(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  let body = ctx.state.body as Resource | Parameters | undefined;
  if (body === undefined) throw badRequest('$validate needs a resource in the body');
  if (body.resourceType === 'Parameters' && type !== 'Parameters') {
    const mode = body.parameter?.find((p) => p.name === 'mode')?.valueCode;
    if (mode && mode !== 'create' && mode !== 'update') throw badRequest(`$validate mode "${mode}" is not supported (create, update)`);
    const resource = body.parameter?.find((p) => p.name === 'resource')?.resource;
    if (!resource) throw badRequest('$validate Parameters need a "resource" parameter');
    body = resource;
  }
  assertResourceOfType(body, type);
  const issues = validationIssues(body);
  if (id !== undefined && body.id !== id) {
    issues.push({ severity: 'error', code: 'invalid', diagnostics: `The resource's id does not match "${id}" from the URL`, expression: [`${type}.id`] });
  }
  ctx.body = issues.length ? outcome(issues) : informational('Validation successful: no issues found');
}
