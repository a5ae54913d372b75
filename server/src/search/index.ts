export { searchParam, searchParams, indexedParams } from './registry.js';
export { extractIndex, emptyIndexRows, type IndexRows } from './extract.js';
export { parseCriteria, criteriaSql, criteriaKey, type Criterion } from './criteria.js';
