// Server-assigned ids: UUID v7, valid FHIR ids, ordered by the time they were minted, never repeated.
import { describe, expect, it } from 'vitest';
import { newResourceId } from '../src/repo/index.js';

describe('newResourceId', () => {
  it('is a version 7, variant 10 UUID and a valid FHIR id', () => {
    const id = newResourceId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
  });

  it('carries the milliseconds it was minted at, so later ids sort after earlier ones', () => {
    const at = Date.UTC(2026, 11, 1, 9, 30);
    const id = newResourceId(at);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    const ids = [at + 2, at, at + 1, at + 86_400_000].map((t) => newResourceId(t));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0], ids[3]]);
  });

  it('does not repeat within a millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newResourceId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
