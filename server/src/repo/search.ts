// Runs a parsed search: matches (sorted, one page), the total when asked, and _include/_revinclude.
import type { Queryable } from '../db/index.js';
import { searchParam, SqlBuilder, type IncludeRequest, type SearchRequest, type SortKey } from '../search/index.js';

/** A resource as stored, with its JSON text straight from the database (no parse, no stringify). */
export interface FoundResource {
  resourceType: string;
  id: string;
  json: string;
}

/** The content as JSON text with resourceType first (stored content always has id and meta too). */
export const RESOURCE_JSON = `'{"resourceType":' || to_json(r.resource_type)::text || ', ' || substr((r.content - 'resourceType')::text, 2)`;

export interface SearchPage {
  matches: FoundResource[];
  /** Resources added by _include/_revinclude. */
  included: FoundResource[];
  hasNext: boolean;
  total?: number;
}

const MAX_INCLUDE_ROUNDS = 4;
const MAX_INCLUDED = 1000;

/**
 * One page of matches among resources of the given types (one type, or several for a compartment's *).
 * total: 'count' runs a count when the page does not already tell it; 'cheap' gives it only then.
 */
export async function runSearch(
  db: Queryable,
  request: SearchRequest,
  types: string[],
  count: number,
  total: 'count' | 'cheap' | 'none',
  visible: (resourceType: string) => boolean = () => true,
): Promise<SearchPage> {
  const b = new SqlBuilder();
  // One type is an equality, not ANY: Postgres then carries the constant into every index probe of the
  // criteria (their indexes lead with resource_type), and r.id alone orders the rows.
  const single = types.length === 1;
  const typeCondition = single ? `r.resource_type = ${b.bind(types[0])}::text` : `r.resource_type = ANY(${b.bind(types)}::text[])`;
  const target = { type: 'r.resource_type', id: 'r.id', row: 'r' };
  const { joins, rest } = b.joins(request.criteria, target);
  const from = `resources r ${joins}`;
  const where = `${typeCondition} AND NOT r.deleted AND ${b.where(rest, target)}`;
  const order = [...request.sort.map((k) => sortExpression(k, request.resourceType, b)), ...(single ? [] : ['r.resource_type']), 'r.id'].join(', ');
  const countParams = [...b.params];
  const { rows } = await db.query<{ resource_type: string; id: string; json: string }>(
    `SELECT r.resource_type, r.id, ${RESOURCE_JSON} AS json FROM ${from} WHERE ${where} ORDER BY ${order} LIMIT ${b.bind(count + 1)} OFFSET ${b.bind(request.offset)}`,
    b.params,
  );
  const matches = rows.slice(0, count).map(toFound);
  const hasNext = rows.length > count;
  let found: number | undefined;
  if (total !== 'none' && !hasNext && (matches.length > 0 || request.offset === 0)) {
    found = request.offset + matches.length;
  } else if (total === 'count') {
    const result = await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${from} WHERE ${where}`, countParams);
    found = result.rows[0].n;
  }
  const included = await runIncludes(db, matches, request.include, request.revinclude, visible);
  return { matches, included, hasNext, total: found };
}

function sortExpression(key: SortKey, resourceType: string, b: SqlBuilder): string {
  const direction = key.descending ? 'DESC' : 'ASC';
  if (key.param === '_id') return `r.id ${direction}`;
  if (key.param === '_lastUpdated') return `r.last_updated ${direction}`;
  const type = searchParam(resourceType, key.param)!.type;
  const agg = key.descending ? 'max' : 'min';
  const [table, column] =
    type === 'date'
      ? ['search_date', key.descending ? 'high' : 'low']
      : type === 'token'
        ? ['search_token', 'code']
        : type === 'number' || type === 'quantity'
          ? ['search_number', 'value']
          : type === 'reference'
            ? ['search_reference', `coalesce(s.target_type || '/' || s.target_id, s.url)`]
            : ['search_string', 'value'];
  const expr = column.includes('(') ? column : `s.${column}`;
  return (
    `(SELECT ${agg}(${expr}) FROM ${table} s WHERE s.resource_type = r.resource_type AND s.resource_id = r.id ` +
    `AND s.param = ${b.bind(key.param)}) ${direction} NULLS LAST`
  );
}

const toFound = (row: { resource_type: string; id: string; json: string }): FoundResource => ({ resourceType: row.resource_type, id: row.id, json: row.json });

type Ref = { resourceType: string; id: string };

/** Included resources, :iterate rounds followed from those only; a resource that is not visible is neither shown nor followed. */
async function runIncludes(
  db: Queryable,
  matches: FoundResource[],
  include: IncludeRequest[],
  revinclude: IncludeRequest[],
  visible: (resourceType: string) => boolean,
): Promise<FoundResource[]> {
  if (!matches.length || (!include.length && !revinclude.length)) return [];
  const seen = new Set(matches.map(key));
  const included: FoundResource[] = [];
  let frontier: FoundResource[] = matches;
  for (let round = 0; round < MAX_INCLUDE_ROUNDS && frontier.length && included.length < MAX_INCLUDED; round++) {
    const found: FoundResource[] = [];
    for (const inc of include) {
      if (round > 0 && !inc.iterate) continue;
      found.push(...(await followReferences(db, frontier, inc)));
    }
    for (const inc of revinclude) {
      if (round > 0 && !inc.iterate) continue;
      found.push(...(await followReverse(db, frontier, inc)));
    }
    frontier = [];
    for (const resource of found) {
      if (seen.has(key(resource)) || included.length >= MAX_INCLUDED || !visible(resource.resourceType)) continue;
      seen.add(key(resource));
      included.push(resource);
      frontier.push(resource);
    }
  }
  return included;
}

const key = (r: Ref) => `${r.resourceType}/${r.id}`;

/** _include: the resources that the given resources of inc.sourceType refer to through inc.param. */
async function followReferences(db: Queryable, from: Ref[], inc: IncludeRequest): Promise<FoundResource[]> {
  const sources = from.filter((r) => r.resourceType === inc.sourceType).map((r) => r.id);
  if (!sources.length) return [];
  const b = new SqlBuilder();
  const conditions = [`x.resource_type = ${b.bind(inc.sourceType)}`, `x.resource_id = ANY(${b.bind(sources)}::text[])`];
  if (inc.param) conditions.push(`x.param = ${b.bind(inc.param)}`);
  if (inc.targetType) conditions.push(`x.target_type = ${b.bind(inc.targetType)}`);
  const { rows } = await db.query<{ resource_type: string; id: string; json: string }>(
    `SELECT r.resource_type, r.id, ${RESOURCE_JSON} AS json FROM resources r WHERE NOT r.deleted AND (r.resource_type, r.id) IN (
       SELECT x.target_type, x.target_id FROM search_reference x WHERE ${conditions.join(' AND ')} AND x.target_id IS NOT NULL)`,
    b.params,
  );
  return rows.map(toFound);
}

/** _revinclude: resources of inc.sourceType that refer to the given resources through inc.param. */
async function followReverse(db: Queryable, to: Ref[], inc: IncludeRequest): Promise<FoundResource[]> {
  if (!to.length) return [];
  const b = new SqlBuilder();
  const conditions = [
    `x.resource_type = ${b.bind(inc.sourceType)}`,
    `(x.target_type, x.target_id) IN (SELECT * FROM unnest(${b.bind(to.map((r) => r.resourceType))}::text[], ${b.bind(to.map((r) => r.id))}::text[]))`,
  ];
  if (inc.param) conditions.push(`x.param = ${b.bind(inc.param)}`);
  const { rows } = await db.query<{ resource_type: string; id: string; json: string }>(
    `SELECT r.resource_type, r.id, ${RESOURCE_JSON} AS json FROM resources r WHERE NOT r.deleted AND (r.resource_type, r.id) IN (
       SELECT x.resource_type, x.resource_id FROM search_reference x WHERE ${conditions.join(' AND ')})`,
    b.params,
  );
  return rows.map(toFound);
}
