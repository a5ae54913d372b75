export { searchParam, searchParams } from './registry.js';
export { extractTokens, type TokenRows } from './extract.js';
export { parseCriteria, criteriaSql, criteriaKey, type Criterion } from './criteria.js';
