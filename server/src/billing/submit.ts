// Claim/$submit (FHIR R4 http://hl7.org/fhir/OperationDefinition/Claim-submit) for Meridian's demo
// payer: a small adjudicator, not a real payer (see README.md). A claim that fails a check is a 400
// OperationOutcome naming every problem and nothing is written; a good one is stored with its
// ClaimResponse in one transaction (audited like every write, through the request's repository).
import type { Claim, ClaimResponse, Coverage, Money, OperationOutcomeIssue, Parameters, Reference, Resource } from '@medplum/fhirtypes';
import { requireInScope } from '../auth/index.js';
import type { FhirContext } from '../fhir/context.js';
import { FhirError, badRequest, issue, outcome } from '../fhir/outcome.js';
import { assertResourceOfType, assertValid, validationIssues } from '../fhir/validate.js';
import { newResourceId } from '../repo/ids.js';
import type { TransactionOps } from '../repo/index.js';
import type { Terminology } from '../terminology/index.js';

export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
const ADJUDICATION = 'http://terminology.hl7.org/CodeSystem/adjudication';
const PAYMENT_TYPE = 'http://terminology.hl7.org/CodeSystem/ex-paymenttype';

/** The demo payer's contract: it allows this share of each billed amount and pays all of it. */
export const ALLOWED_SHARE = 0.8;

const money = (value: number, currency: string): Money => ({ value: Math.round(value * 100) / 100, currency: currency as Money['currency'] });
const cents = (v: number) => Math.round(v * 100);

export async function submitOperation(ctx: FhirContext): Promise<void> {
  const claim = claimFromBody(ctx.state.body);
  // the Claim is a new resource: the server assigns its id
  delete (claim as { id?: string }).id;
  delete claim.meta;
  claim.created ??= new Date().toISOString().slice(0, 10);
  if (!claim.insurance?.length) {
    throw new FhirError(400, outcome([issue('error', 'required', "The claim needs the patient's Coverage (Claim.insurance)", 'Claim.insurance')]));
  }
  const structural = validationIssues(claim).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (structural.length) throw new FhirError(400, outcome(structural));
  requireInScope(ctx, claim, 'c');
  const { app } = ctx.state;
  const terminology = app.terminology;
  const result = await ctx.state.repo.inTransaction(async (ops) => {
    const issues = await claimIssues(claim, ops, terminology);
    if (issues.length) throw new FhirError(400, outcome(issues));
    const coverage = (await ops.read('Coverage', refId(claim.insurance![0].coverage, 'Coverage')!)) as Coverage;
    const claimId = newResourceId();
    const stored: Claim = { ...claim, status: 'active', insurer: claim.insurer ?? (coverage.payor?.[0] as Claim['insurer']) };
    const response = adjudicate(stored, claimId);
    assertValid(stored);
    assertValid(response);
    const [savedClaim, savedResponse] = await ops.createMany([
      { resource: stored, id: claimId },
      { resource: response, id: newResourceId() },
    ]);
    return { claim: savedClaim, response: savedResponse };
  });
  ctx.status = 200;
  ctx.set('Content-Location', `${app.config.baseUrl}/ClaimResponse/${result.response.id}`);
  ctx.body = result.response;
}

/** The Claim posted directly, or as the "resource" parameter of a Parameters body. */
function claimFromBody(body: unknown): Claim {
  if (body === undefined) throw badRequest('$submit needs a Claim in the body');
  let resource = body as Resource | Parameters;
  if (resource && typeof resource === 'object' && (resource as Resource).resourceType === 'Parameters') {
    const param = (resource as Parameters).parameter?.find((p) => p.name === 'resource')?.resource;
    if (!param) throw badRequest('$submit Parameters need a "resource" parameter holding the Claim');
    resource = param;
  }
  if ((resource as Resource)?.resourceType === 'Bundle') {
    throw new FhirError(400, outcome([issue('error', 'not-supported', 'This server adjudicates one Claim per $submit; Bundles of claims are not supported')]));
  }
  assertResourceOfType(resource, 'Claim');
  return structuredClone(resource) as Claim;
}

function refId(ref: Reference | undefined, type: string): string | undefined {
  const m = /(?:^|\/)([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref?.reference ?? '');
  return m && m[1] === type ? m[2] : undefined;
}

/** What the demo payer refuses, as OperationOutcome issues (empty: the claim is adjudicated). */
export async function claimIssues(claim: Claim, ops: TransactionOps, terminology: Terminology): Promise<OperationOutcomeIssue[]> {
  const issues: OperationOutcomeIssue[] = [];
  const err = (text: string, expression: string, code: OperationOutcomeIssue['code'] = 'business-rule') => issues.push(issue('error', code, text, expression));
  if (claim.use !== 'claim') err(`Only claims are adjudicated here (use "claim"), not a ${claim.use}`, 'Claim.use', 'not-supported');

  const patientId = refId(claim.patient, 'Patient');
  if (!patientId) err('Claim.patient must reference a Patient on this server', 'Claim.patient');
  else if (!(await exists(ops, 'Patient', patientId))) err(`Patient/${patientId} does not exist`, 'Claim.patient', 'not-found');

  // coverage: the focal one must exist, be active and cover this patient
  const focal = claim.insurance?.find((i) => i.focal) ?? claim.insurance?.[0];
  const coverageId = refId(focal?.coverage, 'Coverage');
  if (!focal?.focal) err('One insurance must be focal (the coverage this claim is for)', 'Claim.insurance');
  if (!coverageId) {
    err('The claim needs the patient\'s Coverage (Claim.insurance.coverage)', 'Claim.insurance.coverage', 'required');
  } else {
    const coverage = (await readOrUndefined(ops, 'Coverage', coverageId)) as Coverage | undefined;
    if (!coverage) err(`Coverage/${coverageId} does not exist`, 'Claim.insurance.coverage', 'not-found');
    else {
      if (coverage.status !== 'active') err(`Coverage/${coverageId} is not active (status ${coverage.status})`, 'Claim.insurance.coverage');
      if (patientId && refId(coverage.beneficiary, 'Patient') !== patientId) err(`Coverage/${coverageId} does not cover Patient/${patientId}`, 'Claim.insurance.coverage');
      const served = claim.item?.map((i) => i.servicedDate).filter(Boolean) as string[] | undefined;
      const { start, end } = coverage.period ?? {};
      for (const day of served ?? []) {
        if ((start && day < start.slice(0, 10)) || (end && day > end.slice(0, 10))) err(`The service on ${day} is outside the coverage period`, 'Claim.item.servicedDate');
      }
      const insurer = refId(claim.insurer, 'Organization');
      if (insurer && !(coverage.payor ?? []).some((p) => refId(p, 'Organization') === insurer)) err(`Organization/${insurer} is not the payer of Coverage/${coverageId}`, 'Claim.insurer');
    }
  }

  // diagnoses: billable ICD-10-CM codes
  const icd = await terminology.codeSystem(ICD10CM);
  (claim.diagnosis ?? []).forEach((d, n) => {
    const coding = d.diagnosisCodeableConcept?.coding?.find((c) => c.system === ICD10CM);
    const path = `Claim.diagnosis[${n}]`;
    if (!coding?.code) return err('Each diagnosis needs an ICD-10-CM code', path, 'required');
    const concept = icd?.get(coding.code);
    if (!concept) err(`${coding.code} is not an ICD-10-CM code known to this server`, path, 'code-invalid');
    else if (concept.property.some((p) => p.code === 'notSelectable' && p.valueBoolean)) err(`${coding.code} (${concept.display}) is a category, not a billable code`, path, 'code-invalid');
  });
  const sequences = new Set((claim.diagnosis ?? []).map((d) => d.sequence));

  // items: a CPT or HCPCS code, a positive price, and net = unit price × quantity
  if (!claim.item?.length) err('The claim has no items', 'Claim.item', 'required');
  const cpt = await terminology.codeSystem(CPT);
  const hcpcs = await terminology.codeSystem(HCPCS);
  let sum = 0;
  let currency: string | undefined;
  (claim.item ?? []).forEach((item, n) => {
    const path = `Claim.item[${n}]`;
    const coding = item.productOrService?.coding?.find((c) => c.system === CPT || c.system === HCPCS);
    if (!coding?.code) err(`Item ${item.sequence} needs a CPT or HCPCS code`, `${path}.productOrService`, 'required');
    else if (!(coding.system === CPT ? cpt : hcpcs)?.get(coding.code)) err(`${coding.code} is not a procedure code known to this server`, `${path}.productOrService`, 'code-invalid');
    const price = item.unitPrice?.value;
    if (typeof price !== 'number' || !(price > 0)) err(`Item ${item.sequence} has no price`, `${path}.unitPrice`, 'required');
    else {
      currency ??= item.unitPrice!.currency;
      if (!item.unitPrice!.currency) err(`Item ${item.sequence}'s price has no currency`, `${path}.unitPrice.currency`, 'required');
      else if (item.unitPrice!.currency !== currency) err('Every item must be in the same currency', `${path}.unitPrice.currency`);
      const quantity = item.quantity?.value ?? 1;
      if (!(quantity > 0)) err(`Item ${item.sequence}'s quantity must be positive`, `${path}.quantity`);
      const net = cents(price * quantity * (item.factor ?? 1));
      if (item.net?.value !== undefined && cents(item.net.value) !== net) err(`Item ${item.sequence}'s net ${item.net.value} is not unit price × quantity (${net / 100})`, `${path}.net`);
      sum += net;
    }
    for (const s of item.diagnosisSequence ?? []) if (!sequences.has(s)) err(`Item ${item.sequence} points at diagnosis ${s}, which the claim does not have`, `${path}.diagnosisSequence`);
  });
  if (claim.total?.value !== undefined && issues.every((i) => !i.expression?.[0]?.includes('unitPrice')) && cents(claim.total.value) !== sum) {
    err(`The total ${claim.total.value} is not the sum of the items (${sum / 100})`, 'Claim.total');
  }

  // one active claim per encounter: a second is a duplicate
  const encounters = [...new Set((claim.item ?? []).flatMap((i) => (i.encounter ?? []).map((e) => refId(e, 'Encounter')).filter(Boolean) as string[]))];
  for (const id of encounters) {
    const found = await ops.match('Claim', new URLSearchParams({ encounter: `Encounter/${id}`, status: 'active' }));
    if (found.length) err(`Encounter/${id} is already billed on an active claim (Claim/${found[0]})`, 'Claim.item.encounter', 'duplicate');
  }
  return issues;
}

/** The demo payer's answer: each item allowed at ALLOWED_SHARE of its net, all of it paid. */
export function adjudicate(claim: Claim, claimId: string): ClaimResponse {
  const currency = claim.item?.[0]?.unitPrice?.currency ?? 'USD';
  let submitted = 0;
  let benefit = 0;
  const item = (claim.item ?? []).map((i) => {
    const net = cents((i.unitPrice?.value ?? 0) * (i.quantity?.value ?? 1) * (i.factor ?? 1)) / 100;
    const eligible = cents(net * ALLOWED_SHARE) / 100;
    submitted += net;
    benefit += eligible;
    const cat = (code: string) => ({ coding: [{ system: ADJUDICATION, code }] });
    return {
      itemSequence: i.sequence,
      adjudication: [
        { category: cat('submitted'), amount: money(net, currency) },
        { category: cat('eligible'), amount: money(eligible, currency) },
        { category: cat('benefit'), amount: money(eligible, currency) },
      ],
    };
  });
  const today = new Date().toISOString().slice(0, 10);
  return {
    resourceType: 'ClaimResponse',
    status: 'active',
    type: claim.type,
    use: 'claim',
    patient: claim.patient,
    created: new Date().toISOString(),
    insurer: claim.insurer ?? { display: 'Meridian demo payer' },
    requestor: claim.provider,
    request: { reference: `Claim/${claimId}` },
    outcome: 'complete',
    disposition: `Adjudicated by Meridian's demo payer (not a real payer): ${Math.round(ALLOWED_SHARE * 100)} % of each billed amount allowed and paid.`,
    item,
    total: [
      { category: { coding: [{ system: ADJUDICATION, code: 'submitted' }] }, amount: money(submitted, currency) },
      { category: { coding: [{ system: ADJUDICATION, code: 'benefit' }] }, amount: money(benefit, currency) },
    ],
    payment: { type: { coding: [{ system: PAYMENT_TYPE, code: 'complete' }] }, date: today, amount: money(benefit, currency) },
  };
}

async function readOrUndefined(ops: TransactionOps, type: string, id: string): Promise<Resource | undefined> {
  try {
    return await ops.read(type, id);
  } catch (e) {
    if (e instanceof FhirError && (e.status === 404 || e.status === 410)) return undefined;
    throw e;
  }
}

const exists = async (ops: TransactionOps, type: string, id: string) => (await readOrUndefined(ops, type, id)) !== undefined;
