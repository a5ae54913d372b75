export { ShippedTerminology, Terminology, createTerminology, shippedTerminology, type Expansion, type ExpandOptions } from './service.js';
export { CodeSystemIndex, type Concept } from './codesystem.js';
export { coreContent, curatedContent, type TerminologyResource } from './content.js';
export { codeSystemValidateCodeOperation, expandOperation, lookupOperation, subsumesOperation, translateOperation, valueSetValidateCodeOperation } from './operations.js';
export { SHIPPED_TAG_SYSTEM, storeInBackground, storeShipped, type BackgroundStore } from './store.js';
