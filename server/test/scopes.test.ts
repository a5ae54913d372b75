// SMART scopes as tokens carry them: v1 and v2 syntax, granular queries, and what is not a resource scope.
import { describe, expect, it } from 'vitest';
import { parseResourceScope, resourceScopes, scopesFor } from '../src/auth/scopes.js';

const actions = (text: string) => [...(parseResourceScope(text)?.actions ?? [])].sort().join('');

describe('SMART resource scopes', () => {
  it('reads v1 scopes: read is read and search, write is create, update and delete, * is all', () => {
    expect(actions('patient/Observation.read')).toBe('rs');
    expect(actions('user/Patient.write')).toBe('cdu');
    expect(actions('system/*.*')).toBe('cdrsu');
  });

  it('reads v2 scopes in cruds order, with a granular query', () => {
    expect(actions('patient/Observation.rs')).toBe('rs');
    expect(actions('user/*.cruds')).toBe('cdrsu');
    const granular = parseResourceScope('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory');
    expect(granular).toMatchObject({ context: 'patient', type: 'Observation' });
    expect(granular!.query!.get('category')).toBe('http://terminology.hl7.org/CodeSystem/observation-category|laboratory');
  });

  it('is not a resource scope for OpenID and launch scopes, or malformed ones', () => {
    for (const text of ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'patient/Observation', 'patient/Observation.', 'patient/Observation.sr',
      'patient/Observation.rr', 'patient/observation.rs', 'admin/Observation.rs', 'patient/Observation.read?category=x', 'patient/Observation.x', 'system/*.crudsx']) {
      expect(parseResourceScope(text), text).toBeUndefined();
    }
    expect(resourceScopes('openid fhirUser launch/patient patient/Observation.rs  user/Patient.read').map((s) => s.text)).toEqual(['patient/Observation.rs', 'user/Patient.read']);
    expect(resourceScopes(undefined)).toEqual([]);
  });

  it('finds the scopes that allow an action on a type, wildcards included', () => {
    const scopes = resourceScopes('system/Observation.rs system/*.r system/Patient.c');
    expect(scopesFor(scopes, 'Observation', 's').map((s) => s.text)).toEqual(['system/Observation.rs']);
    expect(scopesFor(scopes, 'Encounter', 'r').map((s) => s.text)).toEqual(['system/*.r']);
    expect(scopesFor(scopes, 'Encounter', 'd')).toEqual([]);
  });
});
