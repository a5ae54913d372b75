// Parses a search query against the registry into the AST (ast.ts). Every parameter name, modifier,
// prefix and value is checked here; what cannot be understood is a 400 (or, for an unknown parameter
// in lenient mode, a warning), so SQL is only ever built from known parameters.
import { badRequest } from '../fhir/outcome.js';
import type { CompositeValue, Criterion, DateValue, IncludeRequest, IndexTable, NumberValue, Prefix, ReferenceValue, SortKey, TokenValue } from './ast.js';
import { normalizeText } from './normalize.js';
import { parseDateRange } from './ranges.js';
import { searchParam, type RegisteredParam } from './registry.js';

export interface SearchRequest {
  resourceType: string;
  criteria: Criterion[];
  sort: SortKey[];
  count?: number;
  offset: number;
  total?: 'none' | 'estimate' | 'accurate';
  summary?: 'true' | 'false' | 'count' | 'data' | 'text';
  elements?: string[];
  include: IncludeRequest[];
  revinclude: IncludeRequest[];
  /** Parameters ignored in lenient mode, with why. */
  warnings: string[];
  /** Prefer: handling=lenient: a terminology modifier's unknown ValueSet or code is a warning too (resolveTerminology). */
  lenient?: boolean;
}

export interface ParseOptions {
  /** Unknown parameters are errors (Prefer: handling=strict, and every conditional interaction). */
  strict: boolean;
  /** This server's base URL, so that absolute references to it are read as local ones. */
  baseUrl: string;
  /** Prefer: handling=lenient was asked for (see SearchRequest.lenient). */
  lenient?: boolean;
}

/** Parameters that never select: formats and paging, handled elsewhere. */
const IGNORED = new Set(['_format', '_pretty']);
const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

class UnknownParameter extends Error {}

export function parseSearch(resourceType: string, query: URLSearchParams, options: ParseOptions): SearchRequest {
  const request: SearchRequest = { resourceType, criteria: [], sort: [], offset: 0, include: [], revinclude: [], warnings: [] };
  if (options.lenient) request.lenient = true;
  for (const [name, value] of query) {
    if (IGNORED.has(name)) continue;
    switch (name) {
      case '_count':
        request.count = wholeNumber(name, value);
        continue;
      case '_offset':
        request.offset = wholeNumber(name, value);
        continue;
      case '_sort':
        request.sort.push(...parseSort(resourceType, value));
        continue;
      case '_total':
        if (value !== 'none' && value !== 'estimate' && value !== 'accurate') throw badRequest('_total must be none, estimate or accurate');
        request.total = value;
        continue;
      case '_summary':
        if (!['true', 'false', 'count', 'data', 'text'].includes(value)) throw badRequest('_summary must be true, false, count, data or text');
        request.summary = value as SearchRequest['summary'];
        continue;
      case '_elements':
        request.elements = value.split(',').map((e) => e.trim()).filter(Boolean);
        continue;
    }
    if (name === '_include' || name.startsWith('_include:') || name === '_revinclude' || name.startsWith('_revinclude:')) {
      const [base, modifier] = name.split(':');
      if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') throw badRequest(`Unknown modifier "${modifier}" on ${base}`);
      const include = parseInclude(base, value, modifier !== undefined, resourceType);
      (base === '_include' ? request.include : request.revinclude).push(include);
      continue;
    }
    try {
      request.criteria.push(parseParameter(resourceType, name, value, options));
    } catch (err) {
      if (!(err instanceof UnknownParameter) || options.strict) {
        throw err instanceof UnknownParameter ? badRequest(err.message) : err;
      }
      request.warnings.push(`${err.message}; it was ignored`);
    }
  }
  return request;
}

/** One query parameter (name with modifiers and chains, value with commas) as one criterion. */
export function parseParameter(resourceType: string, name: string, value: string, options: ParseOptions): Criterion {
  if (name.startsWith('_has:')) return parseHas(resourceType, name, value, options);
  const dot = name.indexOf('.');
  if (dot > 0) return parseChain(resourceType, name.slice(0, dot), name.slice(dot + 1), value, options);

  const [code, modifier, ...more] = name.split(':');
  if (more.length) throw badRequest(`"${name}" has more than one modifier`);
  const values = splitOr(value);
  if (values.some((v) => v === '')) throw badRequest(`Search parameter "${name}" has an empty value`);

  if (code === '_id') {
    if (modifier !== undefined) throw badRequest(`Unknown modifier ":${modifier}" on _id`);
    return { kind: 'id', values: values.map(unescape) };
  }
  if (code === '_lastUpdated') {
    if (modifier !== undefined) throw badRequest(`Unknown modifier ":${modifier}" on _lastUpdated`);
    return { kind: 'lastUpdated', values: values.map((v) => dateValue(code, v)) };
  }
  if (code === '_text' || code === '_content') {
    if (modifier !== undefined) throw badRequest(`Unknown modifier ":${modifier}" on ${code}`);
    return { kind: 'text', param: code, values: values.map(unescape) };
  }
  if (code === '_list') {
    if (modifier !== undefined) throw badRequest(`Unknown modifier ":${modifier}" on _list`);
    return { kind: 'list', ids: values.map(unescape) };
  }
  const param = searchParam(resourceType, code);
  if (!param) throw new UnknownParameter(`Unknown search parameter "${code}" for resource type ${resourceType}`);

  if (modifier === 'missing') {
    if (values.length !== 1 || (values[0] !== 'true' && values[0] !== 'false')) throw badRequest(`${name} must be true or false`);
    return { kind: 'missing', param: code, table: tableOf(param), missing: values[0] === 'true' };
  }

  if ((modifier === 'in' || modifier === 'not-in' || modifier === 'below' || modifier === 'above') && param.type !== 'token' && param.type !== 'uri') {
    throw badRequest(`:${modifier} applies to token search parameters; "${code}" of ${resourceType} is a ${param.type} parameter`);
  }
  switch (param.type) {
    case 'token':
      return parseToken(param, modifier, values);
    case 'string':
      if (modifier !== undefined && modifier !== 'exact' && modifier !== 'contains') throw unknownModifier(name, modifier);
      return {
        kind: 'string',
        param: code,
        match: modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'start',
        values: values.map((v) => (modifier === 'exact' ? unescape(v) : normalizeText(unescape(v)))),
      };
    case 'uri':
      if (modifier !== undefined && modifier !== 'below' && modifier !== 'above') throw unknownModifier(name, modifier);
      return { kind: 'uri', param: code, match: modifier ?? 'exact', values: values.map(unescape) } as Criterion;
    case 'reference':
      return parseReference(resourceType, param, modifier, values, options);
    case 'date':
      if (modifier !== undefined) throw unknownModifier(name, modifier);
      return { kind: 'date', param: code, values: values.map((v) => dateValue(code, v)) };
    case 'number':
    case 'quantity':
      if (modifier !== undefined) throw unknownModifier(name, modifier);
      return { kind: 'number', param: code, values: values.map((v) => numberValue(code, v, param.type === 'quantity')) };
    case 'composite':
      if (modifier !== undefined) throw unknownModifier(name, modifier);
      if (!param.components) throw badRequest(`Composite search parameter "${code}" is not supported yet`);
      return { kind: 'composite', param: code, values: values.map((v) => compositeValue(param, v)) };
    default:
      throw badRequest(`Search parameter "${code}" (type ${param.type}) is not supported yet`);
  }
}

function compositeValue(param: RegisteredParam, raw: string): CompositeValue {
  const parts = splitUnescapedRaw(raw, '$');
  if (parts.length !== 2 || parts.some((p) => p === '')) throw badRequest(`${param.code} takes two values joined by $, got "${raw}"`);
  const [first, second] = parts;
  const secondType = param.components![1].type;
  const value: CompositeValue['second'] =
    secondType === 'token'
      ? { type: 'token', value: tokenValue(second) }
      : secondType === 'quantity'
        ? { type: 'quantity', value: numberValue(param.code, second, true) }
        : secondType === 'date'
          ? { type: 'date', value: dateValue(param.code, unescape(second)) }
          : { type: 'string', value: normalizeText(unescape(second)) };
  return { first: tokenValue(first), second: value };
}

function parseToken(param: RegisteredParam, modifier: string | undefined, values: string[]): Criterion {
  const code = param.code;
  if (modifier === 'text') return { kind: 'string', param: `${code}:text`, match: 'start', values: values.map((v) => normalizeText(unescape(v))) };
  if (modifier === 'of-type') {
    return {
      kind: 'token',
      param: `${code}:of-type`,
      values: values.map((v) => {
        const parts = splitUnescaped(v, '|');
        if (parts.length !== 3 || parts.some((p) => p === '')) throw badRequest(`${code}:of-type takes system|code|value, got "${v}"`);
        return { system: parts[0], code: `${parts[1]}|${parts[2]}` };
      }),
    };
  }
  if (modifier === 'in' || modifier === 'not-in') return { kind: 'codes', param: code, modifier, values: values.map(unescape) };
  if (modifier === 'below' || modifier === 'above') {
    return {
      kind: 'codes',
      param: code,
      modifier,
      values: values.map((v) => {
        const parts = splitUnescaped(v, '|');
        if (parts.length !== 2 || parts.some((p) => p === '')) throw badRequest(`${code}:${modifier} takes system|code (a concept of a code system's hierarchy), got "${unescape(v)}"`);
        return `${parts[0]}|${parts[1]}`;
      }),
    };
  }
  if (modifier !== undefined && modifier !== 'not') throw unknownModifier(code, modifier);
  return { kind: 'token', param: code, values: values.map(tokenValue), not: modifier === 'not' };
}

function tokenValue(value: string): TokenValue {
  const parts = splitUnescaped(value, '|');
  if (parts.length === 1) return { code: parts[0] };
  if (parts.length > 2) throw badRequest(`Token value "${value}" has more than one unescaped "|"`);
  const [system, code] = parts;
  if (system === '') return { system: null, code };
  if (code === '') return { system };
  return { system, code };
}

function parseReference(resourceType: string, param: RegisteredParam, modifier: string | undefined, values: string[], options: ParseOptions): Criterion {
  const code = param.code;
  if (modifier === 'identifier') return { kind: 'token', param: `${code}:identifier`, values: values.map(tokenValue) };
  const targets = param.definition.target ?? [];
  if (modifier !== undefined && !targets.includes(modifier as never)) {
    throw badRequest(`"${modifier}" is not a target type of ${resourceType}.${code} (${targets.join(', ') || 'none'})`);
  }
  return {
    kind: 'reference',
    param: code,
    values: values.map((raw): ReferenceValue => {
      const v = unescape(raw);
      const local = v.startsWith(`${options.baseUrl}/`) ? v.slice(options.baseUrl.length + 1) : v;
      const typed = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(local);
      if (typed) {
        if (modifier && typed[1] !== modifier) throw badRequest(`"${v}" is not a ${modifier}`);
        return { type: typed[1], id: typed[2] };
      }
      if (/^[A-Za-z0-9\-.]{1,64}$/.test(local)) return { type: modifier, id: local };
      if (/^[a-z][a-z0-9+.-]*:/i.test(v)) return { url: v.split('|')[0] };
      throw badRequest(`"${v}" is not a reference (Type/id, id or an absolute URL)`);
    }),
  };
}

function parseChain(resourceType: string, head: string, rest: string, value: string, options: ParseOptions): Criterion {
  const [code, typeModifier, ...more] = head.split(':');
  if (more.length) throw badRequest(`"${head}" has more than one modifier`);
  const param = searchParam(resourceType, code);
  if (!param) throw new UnknownParameter(`Unknown search parameter "${code}" for resource type ${resourceType}`);
  if (param.type !== 'reference') throw badRequest(`"${code}" is not a reference parameter, so it cannot be chained`);
  const targets = (param.definition.target ?? []) as string[];
  const candidates = typeModifier ? [typeModifier] : targets;
  if (typeModifier && !targets.includes(typeModifier)) throw badRequest(`"${typeModifier}" is not a target type of ${resourceType}.${code}`);
  const innerCode = rest.split(/[.:]/)[0];
  const usable = candidates.filter((t) => innerCode === '_id' || innerCode === '_lastUpdated' || innerCode === '_has' || searchParam(t, innerCode));
  if (!usable.length) throw badRequest(`No target type of ${resourceType}.${code} has a search parameter "${innerCode}"`);
  const inners = usable.map((t) => parseParameter(t, rest, value, { ...options, strict: true }));
  const shapes = new Set(inners.map((i) => JSON.stringify(i)));
  if (shapes.size > 1) throw badRequest(`"${head}.${rest}" means different things for ${usable.join(', ')}: name the type, e.g. ${code}:${usable[0]}.${rest}`);
  return { kind: 'chain', param: code, targetTypes: usable, inner: inners[0] };
}

function parseHas(resourceType: string, name: string, value: string, options: ParseOptions): Criterion {
  const [, sourceType, code, ...rest] = name.split(':');
  if (!sourceType || !code || rest.length === 0) throw badRequest(`_has takes _has:Type:reference:parameter, got "${name}"`);
  const param = searchParam(sourceType, code);
  if (!param) throw badRequest(`Unknown search parameter "${code}" for resource type ${sourceType} in ${name}`);
  if (param.type !== 'reference') throw badRequest(`"${sourceType}.${code}" is not a reference parameter`);
  if (param.definition.target && !param.definition.target.includes(resourceType as never)) {
    throw badRequest(`${sourceType}.${code} does not refer to ${resourceType}`);
  }
  return { kind: 'has', sourceType, param: code, inner: parseParameter(sourceType, rest.join(':'), value, { ...options, strict: true }) };
}

function parseSort(resourceType: string, value: string): SortKey[] {
  return value.split(',').map((raw) => {
    const descending = raw.startsWith('-');
    const param = descending ? raw.slice(1) : raw;
    if (param === '_id' || param === '_lastUpdated') return { param, descending };
    const definition = searchParam(resourceType, param);
    if (!definition) throw badRequest(`Cannot sort by unknown parameter "${param}" of ${resourceType}`);
    if (!['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference'].includes(definition.type)) {
      throw badRequest(`Cannot sort by "${param}" (type ${definition.type})`);
    }
    return { param, descending };
  });
}

function parseInclude(base: string, value: string, iterate: boolean, resourceType: string): IncludeRequest {
  if (value === '*') return { sourceType: resourceType, iterate };
  const [sourceType, code, targetType, ...more] = value.split(':');
  if (!sourceType || !code || more.length) throw badRequest(`${base} takes Type:parameter[:targetType] or *, got "${value}"`);
  if (code === '*') return { sourceType, targetType, iterate };
  const param = searchParam(sourceType, code);
  if (!param) throw badRequest(`Unknown search parameter "${code}" for resource type ${sourceType} in ${base}`);
  if (param.type !== 'reference') throw badRequest(`${base}: "${sourceType}:${code}" is not a reference parameter`);
  if (targetType && !(param.definition.target ?? []).includes(targetType as never)) throw badRequest(`${base}: "${targetType}" is not a target of ${sourceType}:${code}`);
  if (base === '_include' && !iterate && sourceType !== resourceType) {
    throw badRequest(`_include=${value} names ${sourceType}, not ${resourceType}; use _include:iterate to follow included resources`);
  }
  return { sourceType, param: code, targetType, iterate };
}

function dateValue(name: string, raw: string): DateValue {
  const { prefix, rest } = splitPrefix(raw);
  if (/T\d{2}:\d{2}/.test(rest) && !/(Z|[+-]\d{2}:\d{2})$/.test(rest)) throw badRequest(`${name}: "${raw}" needs a time zone`);
  const range = parseDateRange(rest);
  if (!range) throw badRequest(`${name}: "${raw}" is not a date (prefix eq, ne, gt, lt, ge, le, sa, eb or ap, then YYYY[-MM[-DD[Thh:mm[:ss]Z]]])`);
  return { prefix, ...range };
}

function numberValue(name: string, raw: string, quantity: boolean): NumberValue {
  const parts = quantity ? splitUnescaped(raw, '|') : [raw];
  if (parts.length !== 1 && parts.length !== 3) throw badRequest(`${name} takes number or number|system|code, got "${raw}"`);
  const { prefix, rest } = splitPrefix(parts[0]);
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(rest)) throw badRequest(`${name}: "${raw}" is not a number`);
  const value = Number(rest);
  // implicit precision: half a unit of the last significant digit
  const mantissa = rest.split(/[eE]/)[0];
  const exponent = Number(rest.split(/[eE]/)[1] ?? 0);
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  const half = 0.5 * 10 ** (exponent - decimals);
  const result: NumberValue = { prefix, value, low: value - half, high: value + half };
  if (parts.length === 3) {
    if (parts[1] !== '') result.system = parts[1];
    if (parts[2] !== '') result.code = parts[2];
  }
  return result;
}

function splitPrefix(raw: string): { prefix: Prefix; rest: string } {
  const head = raw.slice(0, 2);
  return PREFIXES.has(head) && /^[a-z]{2}[-+0-9.]/.test(raw) ? { prefix: head as Prefix, rest: raw.slice(2) } : { prefix: 'eq', rest: raw };
}

function wholeNumber(name: string, value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw badRequest(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function tableOf(param: RegisteredParam): IndexTable {
  switch (param.type) {
    case 'token':
      return 'search_token';
    case 'string':
    case 'uri':
      return 'search_string';
    case 'reference':
      return 'search_reference';
    case 'date':
      return 'search_date';
    case 'number':
    case 'quantity':
      return 'search_number';
    case 'composite':
      if (param.components) return 'search_composite';
      throw badRequest(`:missing is not supported on "${param.code}"`);
    default:
      throw badRequest(`:missing is not supported on "${param.code}" (type ${param.type})`);
  }
}

function unknownModifier(name: string, modifier: string) {
  return badRequest(`Unknown modifier ":${modifier}" on "${name}"`);
}

/** Splits on unescaped commas, keeping escapes (unescape each part when it is used). */
export function splitOr(value: string): string[] {
  return splitUnescapedRaw(value, ',');
}

function splitUnescaped(value: string, separator: string): string[] {
  return splitUnescapedRaw(value, separator).map(unescape);
}

function splitUnescapedRaw(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\' && i + 1 < value.length) {
      current += value[i] + value[++i];
    } else if (value[i] === separator) {
      parts.push(current);
      current = '';
    } else {
      current += value[i];
    }
  }
  parts.push(current);
  return parts;
}

export function unescape(value: string): string {
  return value.replace(/\\([,|$\\])/g, '$1');
}
