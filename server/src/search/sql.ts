// Turns search criteria into SQL conditions with bound parameters only. Identifiers (tables,
// columns) come from this file, never from the request. A criterion is a condition on a target
// resource given as SQL expressions for its type and id, so chains and _has nest the same builder.
import { badRequest } from '../fhir/outcome.js';
import type { Coding, Criterion, DateValue, NumberValue, TokenValue } from './ast.js';

export interface Target {
  type: string;
  id: string;
  /** When the target is the outer resources row, its alias (for last_updated). */
  row?: string;
}

export class SqlBuilder {
  readonly params: unknown[] = [];
  private aliases = 0;

  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  alias(prefix: string): string {
    return `${prefix}${++this.aliases}`;
  }

  /**
   * The criteria that match at most one index row per resource, as inner joins of the target row:
   * one token with system and code, one reference to Type/id (extraction writes each value of a
   * parameter once). Unlike EXISTS, a join lets Postgres drive the query from that index in id order
   * without first collecting and de-duplicating every match. The other criteria are returned as they are.
   */
  joins(criteria: Criterion[], t: Target): { joins: string; rest: Criterion[] } {
    const joins: string[] = [];
    const rest: Criterion[] = [];
    for (const c of criteria) {
      const v = c.kind === 'token' && !c.not && c.values.length === 1 ? c.values[0] : undefined;
      const ref = c.kind === 'reference' && c.values.length === 1 ? c.values[0] : undefined;
      if (c.kind === 'token' && v?.code !== undefined && v.system !== undefined) {
        const a = this.alias('j');
        joins.push(`JOIN search_token ${a} ON ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} AND ${a}.param = ${this.bind(c.param)} AND ${tokenCondition(v, `${a}.system`, `${a}.code`, this)}`);
      } else if (c.kind === 'reference' && ref?.type !== undefined && ref.id !== undefined && ref.url === undefined) {
        const a = this.alias('j');
        joins.push(
          `JOIN search_reference ${a} ON ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} AND ${a}.param = ${this.bind(c.param)} ` +
            `AND ${a}.target_id = ${this.bind(ref.id)} AND ${a}.target_type = ${this.bind(ref.type)}`,
        );
      } else rest.push(c);
    }
    return { joins: joins.join(' '), rest };
  }

  /** All criteria ANDed; "true" when there are none. */
  where(criteria: Criterion[], target: Target): string {
    return mergeDateWindows(criteria).map((c) => (c.kind === 'dateWindow' ? this.dateWindow(c, target) : this.criterion(c, target))).join(' AND ') || 'true';
  }

  /** date=geX&date=ltY on one parameter: one value's range overlapping [from, to), one GiST range scan. */
  private dateWindow(w: DateWindow, t: Target): string {
    if (w.from >= w.to) return 'false';
    return this.rows('search_date', w.param, t, (a) =>
      `tstzrange(${a}.low, ${a}.high, '[)') && tstzrange(${this.bind(w.from.toISOString())}::timestamptz, ${this.bind(w.to.toISOString())}::timestamptz, '[)')`,
    );
  }

  criterion(c: Criterion, t: Target): string {
    switch (c.kind) {
      case 'id':
        return this.oneOf(t.id, c.values);
      case 'lastUpdated': {
        if (t.row) return this.any(c.values.map((v) => instantCondition(v, `${t.row}.last_updated`, this)));
        const a = this.alias('lu');
        const conds = this.any(c.values.map((v) => instantCondition(v, `${a}.last_updated`, this)));
        return `EXISTS (SELECT 1 FROM resources ${a} WHERE ${a}.resource_type = ${t.type} AND ${a}.id = ${t.id} AND NOT ${a}.deleted AND ${conds})`;
      }
      case 'token': {
        const match = this.rows('search_token', c.param, t, (a) => this.any(c.values.map((v) => tokenCondition(v, `${a}.system`, `${a}.code`, this))));
        return c.not ? `NOT ${match}` : match;
      }
      case 'codes': {
        // resolved before the SQL is built (terminology.ts); one that was not cannot be searched here
        if (!c.codes) throw badRequest(`${c.param}:${c.modifier} (a terminology modifier) cannot be used here`);
        // not-in is the complement of in: no coding of the parameter in the set (no coding at all included)
        if (!c.codes.length) return c.modifier === 'not-in' ? 'true' : 'false';
        const match = this.rows('search_token', c.param, t, (a) => this.any(codeGroups(c.codes!).map(([system, codes]) => `${a}.system = ${this.bind(system)} AND ${this.oneOf(`${a}.code`, codes)}`)));
        return c.modifier === 'not-in' ? `NOT ${match}` : match;
      }
      case 'string':
        return this.rows('search_string', c.param, t, (a) =>
          this.any(
            c.values.map((v) => {
              if (c.match === 'exact') return `${a}.raw = ${this.bind(v)}`;
              const pattern = c.match === 'contains' ? `%${escapeLike(v)}%` : `${escapeLike(v)}%`;
              return `${a}.value LIKE ${this.bind(pattern)}`;
            }),
          ),
        );
      case 'uri':
        return this.rows('search_string', c.param, t, (a) =>
          this.any(
            c.values.map((v) => {
              if (c.match === 'below') return `${a}.raw LIKE ${this.bind(`${escapeLike(v)}%`)}`;
              if (c.match === 'above') return `starts_with(${this.bind(v)}::text, ${a}.raw)`;
              return `${a}.raw = ${this.bind(v)}`;
            }),
          ),
        );
      case 'reference':
        return this.rows('search_reference', c.param, t, (a) =>
          this.any(
            c.values.map((v) => {
              if (v.url !== undefined) return `${a}.url = ${this.bind(v.url)}`;
              const parts = [`${a}.target_id = ${this.bind(v.id)}`];
              if (v.type) parts.push(`${a}.target_type = ${this.bind(v.type)}`);
              return parts.join(' AND ');
            }),
          ),
        );
      case 'date':
        return this.rows('search_date', c.param, t, (a) => this.any(c.values.map((v) => dateCondition(v, `${a}.low`, `${a}.high`, this))));
      case 'number':
        return this.rows('search_number', c.param, t, (a) =>
          this.any(c.values.map((v) => numberCondition(v, { value: `${a}.value`, system: `${a}.system`, code: `${a}.code` }, this))),
        );
      case 'composite':
        return this.rows('search_composite', c.param, t, (a) =>
          this.any(
            c.values.map((v) => {
              const parts = [tokenCondition(v.first, `${a}.system`, `${a}.code`, this)];
              const s = v.second;
              if (s.type === 'token') parts.push(tokenCondition(s.value, `${a}.value_system`, `${a}.value_code`, this));
              else if (s.type === 'quantity') parts.push(numberCondition(s.value, { value: `${a}.value_number`, system: `${a}.value_system`, code: `${a}.value_code` }, this));
              else if (s.type === 'date') parts.push(dateCondition(s.value, `${a}.value_low`, `${a}.value_high`, this));
              else parts.push(`${a}.value_text LIKE ${this.bind(`${escapeLike(s.value)}%`)}`);
              return parts.join(' AND ');
            }),
          ),
        );
      case 'missing': {
        const a = this.alias('m');
        const exists = `EXISTS (SELECT 1 FROM ${c.table} ${a} WHERE ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} AND ${a}.param = ${this.bind(c.param)})`;
        return c.missing ? `NOT ${exists}` : exists;
      }
      case 'chain': {
        const a = this.alias('ch');
        const inner = this.criterion(c.inner, { type: `${a}.target_type`, id: `${a}.target_id` });
        return (
          `EXISTS (SELECT 1 FROM search_reference ${a} WHERE ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} ` +
          `AND ${a}.param = ${this.bind(c.param)} AND ${this.oneOf(`${a}.target_type`, c.targetTypes)} AND ${inner})`
        );
      }
      case 'has': {
        const a = this.alias('hs');
        const inner = this.criterion(c.inner, { type: `${a}.resource_type`, id: `${a}.resource_id` });
        return (
          `EXISTS (SELECT 1 FROM search_reference ${a} WHERE ${a}.target_type = ${t.type} AND ${a}.target_id = ${t.id} ` +
          `AND ${a}.resource_type = ${this.bind(c.sourceType)} AND ${a}.param = ${this.bind(c.param)} AND ${inner})`
        );
      }
      case 'list': {
        const a = this.alias('li');
        return (
          `EXISTS (SELECT 1 FROM search_reference ${a} WHERE ${a}.resource_type = 'List' AND ${this.oneOf(`${a}.resource_id`, c.ids)} ` +
          `AND ${a}.param = 'item' AND ${a}.target_type = ${t.type} AND ${a}.target_id = ${t.id})`
        );
      }
      case 'text': {
        const a = this.alias('tx');
        const queries = this.any(c.values.map((v) => `${a}.document @@ plainto_tsquery('simple', ${this.bind(v)})`));
        return `EXISTS (SELECT 1 FROM search_text ${a} WHERE ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} AND ${a}.param = ${this.bind(c.param)} AND ${queries})`;
      }
      case 'is':
        return `(${t.type} = ${this.bind(c.type)} AND ${t.id} = ${this.bind(c.id)})`;
      case 'or':
        return this.any(c.alternatives.map((alt) => this.criterion(alt, t)));
      case 'and':
        return `(${c.criteria.map((inner) => this.criterion(inner, t)).join(' AND ') || 'true'})`;
      case 'compartment': {
        const a = this.alias('cp');
        return (
          `EXISTS (SELECT 1 FROM search_reference ${a} JOIN unnest(${this.bind(c.links.map((l) => l.type))}::text[], ` +
          `${this.bind(c.links.map((l) => l.param))}::text[]) AS link(type, param) ON link.type = ${a}.resource_type AND link.param = ${a}.param ` +
          `WHERE ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} ` +
          `AND ${a}.target_type = ${this.bind(c.targetType)}${c.targetIds !== undefined ? ` AND ${this.oneOf(`${a}.target_id`, c.targetIds)}` : ''})`
        );
      }
    }
  }

  /** EXISTS an index row of the target for param that satisfies condition(alias). */
  private rows(table: string, param: string, t: Target, condition: (alias: string) => string): string {
    const a = this.alias('x');
    return `EXISTS (SELECT 1 FROM ${table} ${a} WHERE ${a}.resource_type = ${t.type} AND ${a}.resource_id = ${t.id} AND ${a}.param = ${this.bind(param)} AND (${condition(a)}))`;
  }

  /** column = one of values; one value as an equality, which Postgres carries into joined index probes. */
  private oneOf(column: string, values: string[]): string {
    return values.length === 1 ? `${column} = ${this.bind(values[0])}::text` : `${column} = ANY(${this.bind(values)}::text[])`;
  }

  private any(conditions: string[]): string {
    return conditions.length === 1 ? conditions[0] : `(${conditions.map((c) => `(${c})`).join(' OR ')})`;
  }
}

/** Codings by system: one "system = s AND code = ANY(codes)" each, a range scan of the token index per system. */
function codeGroups(codings: Coding[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const { system, code } of codings) {
    const codes = groups.get(system);
    if (codes) codes.push(code);
    else groups.set(system, [code]);
  }
  return [...groups];
}

/** A stored range [low, high) against a search range [start, end) under a prefix (FHIR R4 §3.1.1.4.2). */
function dateCondition(v: DateValue, low: string, high: string, b: SqlBuilder): string {
  const start = () => `${b.bind(v.start.toISOString())}::timestamptz`;
  const end = () => `${b.bind(v.end.toISOString())}::timestamptz`;
  switch (v.prefix) {
    case 'eq':
      // the stored range lies within the search range; <@ lets the GiST range index serve it
      return `tstzrange(${low}, ${high}, '[)') <@ tstzrange(${start()}, ${end()}, '[)')`;
    case 'ne':
      return `NOT (${low} >= ${start()} AND ${high} <= ${end()})`;
    case 'gt':
      return `${high} > ${end()}`;
    case 'ge':
      return `${high} > ${start()}`;
    case 'lt':
      return `${low} < ${start()}`;
    case 'le':
      return `${low} < ${end()}`;
    case 'sa':
      return `${low} >= ${end()}`;
    case 'eb':
      return `${high} <= ${start()}`;
    case 'ap': {
      // approximately: the search range widened by 10 % of its distance from now
      const margin = Math.abs(Date.now() - v.start.getTime()) * 0.1;
      const from = new Date(v.start.getTime() - margin).toISOString();
      const to = new Date(v.end.getTime() + margin).toISOString();
      return `${low} < ${b.bind(to)}::timestamptz AND ${high} > ${b.bind(from)}::timestamptz`;
    }
  }
}

function tokenCondition(v: TokenValue, system: string, code: string, b: SqlBuilder): string {
  const parts: string[] = [];
  if (v.code !== undefined) parts.push(`${code} = ${b.bind(v.code)}`);
  if (v.system === null) parts.push(`${system} IS NULL`);
  else if (v.system !== undefined) parts.push(`${system} = ${b.bind(v.system)}`);
  return parts.join(' AND ');
}

function numberCondition(v: NumberValue, columns: { value: string; system: string; code: string }, b: SqlBuilder): string {
  const value = columns.value;
  const n = (x: number) => `${b.bind(String(x))}::numeric`;
  let condition: string;
  switch (v.prefix) {
    case 'eq':
      condition = `${value} >= ${n(v.low)} AND ${value} < ${n(v.high)}`;
      break;
    case 'ne':
      condition = `NOT (${value} >= ${n(v.low)} AND ${value} < ${n(v.high)})`;
      break;
    case 'gt':
    case 'sa':
      condition = `${value} > ${n(v.value)}`;
      break;
    case 'ge':
      condition = `${value} >= ${n(v.value)}`;
      break;
    case 'lt':
    case 'eb':
      condition = `${value} < ${n(v.value)}`;
      break;
    case 'le':
      condition = `${value} <= ${n(v.value)}`;
      break;
    case 'ap': {
      const margin = Math.abs(v.value) * 0.1;
      condition = `${value} >= ${n(v.value - margin)} AND ${value} <= ${n(v.value + margin)}`;
      break;
    }
  }
  if (v.system !== undefined) condition += ` AND ${columns.system} = ${b.bind(v.system)}`;
  if (v.code !== undefined) condition += ` AND ${columns.code} = ${b.bind(v.code)}`;
  return condition;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** An instant (meta.lastUpdated) against a search range, on the bare column so its btree serves. */
function instantCondition(v: DateValue, column: string, b: SqlBuilder): string {
  const start = () => `${b.bind(v.start.toISOString())}::timestamptz`;
  const end = () => `${b.bind(v.end.toISOString())}::timestamptz`;
  switch (v.prefix) {
    case 'eq':
      return `${column} >= ${start()} AND ${column} < ${end()}`;
    case 'ne':
      return `NOT (${column} >= ${start()} AND ${column} < ${end()})`;
    case 'gt':
    case 'sa':
      return `${column} >= ${end()}`;
    case 'ge':
      return `${column} >= ${start()}`;
    case 'lt':
    case 'eb':
      return `${column} < ${start()}`;
    case 'le':
      return `${column} < ${end()}`;
    case 'ap': {
      const margin = Math.abs(Date.now() - v.start.getTime()) * 0.1;
      return `${column} >= ${b.bind(new Date(v.start.getTime() - margin).toISOString())}::timestamptz AND ${column} < ${b.bind(new Date(v.end.getTime() + margin).toISOString())}::timestamptz`;
    }
  }
}

interface DateWindow {
  kind: 'dateWindow';
  param: string;
  from: Date;
  to: Date;
}

/**
 * Merges single-valued lower (ge, gt) and upper (le, lt) bounds on the same date parameter into one
 * window that one stored value must overlap. (With several values of the parameter on one resource,
 * each bound could otherwise be met by a different value; like HAPI, Meridian asks one value to
 * meet the window, which is what date=geX&date=ltY means in practice.)
 */
function mergeDateWindows(criteria: Criterion[]): (Criterion | DateWindow)[] {
  const bounds = new Map<string, { from?: Date; to?: Date; used: Criterion[] }>();
  for (const c of criteria) {
    if (c.kind !== 'date' || c.values.length !== 1) continue;
    const v = c.values[0];
    const entry = bounds.get(c.param) ?? { used: [] };
    if (v.prefix === 'ge' || v.prefix === 'gt') {
      const from = v.prefix === 'ge' ? v.start : v.end;
      entry.from = entry.from && entry.from > from ? entry.from : from;
    } else if (v.prefix === 'le' || v.prefix === 'lt') {
      const to = v.prefix === 'lt' ? v.start : v.end;
      entry.to = entry.to && entry.to < to ? entry.to : to;
    } else {
      continue;
    }
    entry.used.push(c);
    bounds.set(c.param, entry);
  }
  const merged = new Set<Criterion>();
  const out: (Criterion | DateWindow)[] = [];
  for (const [param, b] of bounds) {
    if (b.from && b.to) {
      b.used.forEach((c) => merged.add(c));
      out.push({ kind: 'dateWindow', param, from: b.from, to: b.to });
    }
  }
  return [...criteria.filter((c) => !merged.has(c)), ...out];
}
