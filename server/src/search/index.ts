export { searchParam, searchParams, indexedParams } from './registry.js';
export { extractIndex, emptyIndexRows, type IndexRows } from './extract.js';
export { parseCriteria, criteriaKey } from './criteria.js';
export { parseSearch, type SearchRequest } from './parse.js';
export { SqlBuilder, type Target } from './sql.js';
export type { Coding, Criterion, IncludeRequest, SortKey, TerminologyModifier } from './ast.js';
export { needsTerminology, resolveTerminology, type CodeSource } from './terminology.js';
