// The terminology modifiers on tokens (:in, :not-in, :below, :above) are parsed into 'codes'
// criteria holding what the request said; before SQL is built (SqlBuilder stays synchronous) this
// pass asks the terminology service for the codings they stand for. A search without them pays one
// synchronous walk of its criteria (needsTerminology) and nothing else.
import { badRequest, FhirError } from '../fhir/outcome.js';
import type { Coding, Criterion, TerminologyModifier } from './ast.js';

/** Where the codings of a modifier's value come from (the terminology service, through a connection). */
export interface CodeSource {
  /** undefined: the ValueSet, code system or code is not known. */
  tokenCodes(modifier: TerminologyModifier, value: string): Promise<Coding[] | undefined>;
}

/** Above this many codings a criterion is refused: the list is sent to the database as an array. */
export const MAX_CODES = 100_000;

/** Whether any criterion (nested ones too) has a terminology modifier still to resolve. */
export function needsTerminology(criteria: Criterion[]): boolean {
  return criteria.some(needs);
}

function needs(c: Criterion): boolean {
  switch (c.kind) {
    case 'codes':
      return c.codes === undefined;
    case 'chain':
    case 'has':
      return needs(c.inner);
    case 'or':
      return c.alternatives.some(needs);
    case 'and':
      return c.criteria.some(needs);
    default:
      return false;
  }
}

/**
 * The criteria with every 'codes' criterion given its codings (new objects; the input is not changed).
 * A value that is not known is a 400 naming it; with warnings (Prefer: handling=lenient) a top-level
 * criterion with such a value is left out and the warning says so, as for an unknown parameter.
 */
export async function resolveTerminology(criteria: Criterion[], source: CodeSource, warnings?: string[]): Promise<Criterion[]> {
  const lookups = new Map<string, Promise<Coding[] | undefined>>();
  const lookup = (modifier: TerminologyModifier, value: string) => {
    const key = `${modifier} ${value}`;
    let found = lookups.get(key);
    if (!found) lookups.set(key, (found = source.tokenCodes(modifier, value)));
    return found;
  };
  /** The codings of one value; a ValueSet the service cannot expand (it names a code its system lacks) is a 400 too. */
  const codingsOf = async (param: string, modifier: TerminologyModifier, value: string): Promise<Coding[] | undefined> => {
    try {
      return await lookup(modifier, value);
    } catch (err) {
      if (err instanceof FhirError && err.status < 500) throw badRequest(`${param}:${modifier}=${value}: ${err.message}`);
      throw err;
    }
  };
  /** lenient: a terminology criterion with an unknown value gives undefined (left out) and a warning. */
  const resolve = async (c: Criterion, lenient = false): Promise<Criterion | undefined> => {
    switch (c.kind) {
      case 'codes': {
        if (c.codes) return c;
        const seen = new Set<string>();
        const codes: Coding[] = [];
        for (const value of c.values) {
          const found = await codingsOf(c.param, c.modifier, value);
          if (!found && lenient) {
            warnings!.push(`${unknownMessage(c.param, c.modifier, value)}; the parameter was ignored`);
            return undefined;
          }
          if (!found) throw badRequest(unknownMessage(c.param, c.modifier, value));
          for (const coding of found) {
            const key = `${coding.system}|${coding.code}`;
            if (!seen.has(key)) codes.push(coding), seen.add(key);
          }
        }
        if (codes.length > MAX_CODES) {
          throw badRequest(`${c.param}:${c.modifier}=${c.values.join(',')} stands for ${codes.length} codes, more than the ${MAX_CODES} a search can take`);
        }
        return { ...c, codes };
      }
      case 'chain':
      case 'has':
        return needs(c.inner) ? { ...c, inner: (await resolve(c.inner))! } : c;
      case 'or':
        return needs(c) ? { ...c, alternatives: (await Promise.all(c.alternatives.map((a) => resolve(a)))) as Criterion[] } : c;
      case 'and':
        return needs(c) ? { ...c, criteria: (await Promise.all(c.criteria.map((a) => resolve(a)))) as Criterion[] } : c;
      default:
        return c;
    }
  };
  const resolved: Criterion[] = [];
  for (const c of criteria) {
    // lenient for a top-level one only: inside a chain or _has an unknown value is always a 400
    const r = needs(c) ? await resolve(c, warnings !== undefined && c.kind === 'codes') : c;
    if (r) resolved.push(r);
  }
  return resolved;
}

function unknownMessage(param: string, modifier: TerminologyModifier, value: string): string {
  if (modifier === 'in' || modifier === 'not-in') return `${param}:${modifier}: ValueSet "${value}" is not known to this server`;
  const bar = value.indexOf('|');
  return `${param}:${modifier}: "${value}" is not a concept this server knows (code "${value.slice(bar + 1)}" in CodeSystem "${value.slice(0, bar)}")`;
}
