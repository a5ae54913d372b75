// How the repository resolves the terminology modifiers of search criteria (:in, :not-in, :below,
// :above) before building their SQL: through the terminology service, on the connection the search
// runs on (inside a transaction, the transaction's: PGlite has only one connection).
import type { Queryable } from '../db/index.js';
import { badRequest } from '../fhir/outcome.js';
import { needsTerminology, resolveTerminology, type CodeSource, type Criterion } from '../search/index.js';

/** The terminology service as the repository uses it (terminology/service.ts, class Terminology). */
export interface Terminology extends CodeSource {
  /** The same service looking runtime content up through another connection. */
  using(db: Queryable): CodeSource;
}

/**
 * The criteria with their terminology modifiers resolved through db, or the same array when they have
 * none (the caller checks needsTerminology first to avoid an await). warnings: lenient handling.
 */
export function resolveCodes(terminology: Terminology | undefined, db: Queryable, baseUrl: string, criteria: Criterion[], warnings?: string[]): Promise<Criterion[]> {
  if (!needsTerminology(criteria)) return Promise.resolve(criteria);
  if (!terminology) throw badRequest('The terminology modifiers (:in, :not-in, :below, :above) need the terminology service, which this server was started without');
  return resolveTerminology(criteria, codeSource(terminology.using(db), db, baseUrl), warnings);
}

const VALUE_SET_REFERENCE = /^ValueSet\/([A-Za-z0-9\-.]{1,64})$/;

/** A ValueSet is named by its canonical URL or, as the search specification allows, by a reference ValueSet/id (relative or on this server). */
function codeSource(terminology: CodeSource, db: Queryable, baseUrl: string): CodeSource {
  return {
    async tokenCodes(modifier, value) {
      const found = await terminology.tokenCodes(modifier, value);
      if (found || (modifier !== 'in' && modifier !== 'not-in')) return found;
      const id = VALUE_SET_REFERENCE.exec(value.startsWith(`${baseUrl}/`) ? value.slice(baseUrl.length + 1) : value)?.[1];
      if (!id) return undefined;
      const { rows } = await db.query<{ url: string | null }>(`SELECT content->>'url' AS url FROM resources WHERE resource_type = 'ValueSet' AND id = $1 AND NOT deleted`, [id]);
      const url = rows[0]?.url;
      return url ? terminology.tokenCodes(modifier, url) : undefined;
    },
  };
}
