export { Repository, TransactionOps, type BeforeCommit, type Appender, type WriteResult, type ConditionalCreateResult, type DeleteResult, type HistoryEntry, type HistoryQuery } from './repository.js';
export type { WriteMethod, Written } from './write.js';
export type { FoundResource, SearchPage } from './search.js';
export { newResourceId } from './ids.js';
