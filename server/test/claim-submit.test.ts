// Claim/$submit: the demo payer's adjudicator (server/src/billing). A good claim is stored with its
// ClaimResponse in one transaction and audited; a bad one is a 400 OperationOutcome and writes nothing.
import type { Claim } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FHIR_JSON, testServer, type TestServer } from './harness.js';

let t: TestServer;
let patient: string;
let other: string;
let coverage: string;
let payer: string;
let encounter: string;

const post = async (path: string, body: unknown) => t.http.post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(body as object);
const created = async (body: { resourceType: string }) => {
  const res = await post(body.resourceType, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};
const count = async (sql: string) => Number((await t.server.app.db.query<{ n: string }>(sql)).rows[0].n);
const stored = () => count("SELECT count(*) AS n FROM resources WHERE resource_type IN ('Claim', 'ClaimResponse') AND NOT deleted");
const audits = () => count("SELECT count(*) AS n FROM resources WHERE resource_type = 'AuditEvent'");

beforeAll(async () => {
  t = await testServer();
  payer = await created({ resourceType: 'Organization', name: 'Demo payer' } as never);
  patient = await created({ resourceType: 'Patient', name: [{ family: 'Claimant' }] } as never);
  other = await created({ resourceType: 'Patient', name: [{ family: 'Other' }] } as never);
  coverage = await created({ resourceType: 'Coverage', status: 'active', beneficiary: { reference: `Patient/${patient}` }, payor: [{ reference: `Organization/${payer}` }] } as never);
  encounter = await created({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: `Patient/${patient}` } } as never);
});
afterAll(() => t?.close());

function claim(overrides: Partial<Claim> = {}): Claim {
  return {
    resourceType: 'Claim',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'claim',
    patient: { reference: `Patient/${patient}` },
    created: '2026-11-20',
    provider: { reference: `Organization/${payer}` },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] } }],
    insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${coverage}` } }],
    item: [
      {
        sequence: 1,
        diagnosisSequence: [1],
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] },
        servicedDate: '2026-11-20',
        quantity: { value: 1 },
        unitPrice: { value: 131, currency: 'USD' },
        net: { value: 131, currency: 'USD' },
        encounter: [{ reference: `Encounter/${encounter}` }],
      },
      {
        sequence: 2,
        diagnosisSequence: [1],
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '36415' }] },
        quantity: { value: 2 },
        unitPrice: { value: 12.5, currency: 'USD' },
        net: { value: 25, currency: 'USD' },
      },
    ],
    total: { value: 156, currency: 'USD' },
    ...overrides,
  };
}

async function expectRefused(body: unknown, text: RegExp) {
  await t.server.app.audit.flush(); // earlier requests' read events are stored asynchronously
  const before = [await stored(), await audits()];
  const res = await post('Claim/$submit', body);
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue.map((i: { diagnostics: string }) => i.diagnostics).join('\n')).toMatch(text);
  await t.server.app.audit.flush();
  expect([await stored(), await audits()]).toEqual(before);
}

describe('Claim/$submit', () => {
  it('is listed in the CapabilityStatement', async () => {
    const res = await t.http.get('/fhir/metadata');
    const ops = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'Claim').operation;
    expect(ops).toContainEqual(expect.objectContaining({ name: 'submit', definition: 'http://hl7.org/fhir/OperationDefinition/Claim-submit' }));
  });

  it('refuses bad claims with a readable OperationOutcome and writes nothing', async () => {
    await expectRefused(claim({ insurance: [] }), /Coverage|focal/);
    const unpriced = claim();
    delete unpriced.item![1].unitPrice;
    delete unpriced.total;
    await expectRefused(unpriced, /Item 2 has no price/);
    await expectRefused(claim({ patient: { reference: `Patient/${other}` } }), /does not cover/);
    await expectRefused(claim({ diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11' }] } }] }), /not a billable code/);
    const badCode = claim();
    badCode.item![0].productOrService = { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '00000' }] };
    await expectRefused(badCode, /00000 is not a procedure code/);
    await expectRefused(claim({ total: { value: 999, currency: 'USD' } }), /not the sum of the items \(156\)/);
    await expectRefused(claim({ use: 'preauthorization' }), /Only claims/);
    await expectRefused({ resourceType: 'Bundle', type: 'collection' }, /one Claim per \$submit/);
    await expectRefused({ resourceType: 'Claim', status: 'active' }, /./); // structurally invalid
  });

  it('adjudicates a good claim: Claim and ClaimResponse stored together, audited', async () => {
    const before = [await stored(), await audits()];
    const res = await post('Claim/$submit', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: claim() }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const response = res.body;
    expect(response).toMatchObject({ resourceType: 'ClaimResponse', outcome: 'complete', patient: { reference: `Patient/${patient}` }, insurer: { reference: `Organization/${payer}` } });
    expect(response.total).toEqual([
      { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'submitted' }] }, amount: { value: 156, currency: 'USD' } },
      { category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code: 'benefit' }] }, amount: { value: 124.8, currency: 'USD' } },
    ]);
    expect(response.payment.amount).toEqual({ value: 124.8, currency: 'USD' });
    expect(response.item).toHaveLength(2);
    const claimId = response.request.reference.split('/')[1];
    const read = await t.http.get(`/fhir/Claim/${claimId}`);
    expect(read.body).toMatchObject({ status: 'active', total: { value: 156 }, insurer: { reference: `Organization/${payer}` } });
    expect((await t.http.get(`/fhir/ClaimResponse?request=Claim/${claimId}`)).body.total).toBe(1);
    expect(await stored()).toBe(before[0] + 2);
    expect(await audits()).toBeGreaterThan(before[1]);
  });

  it('refuses a second active claim for the same encounter', async () => {
    await expectRefused(claim(), /already billed on an active claim/);
  });
});
