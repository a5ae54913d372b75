// Rules of the FHIR JSON format that the structural validator does not check:
// no null properties and no empty arrays (FHIR JSON §2.6.2), strings without control characters
// other than tab/CR/LF and in well-formed Unicode, and no element named like an Object.prototype
// member ("__proto__", "constructor", ...), which no FHIR element is and which a schema lookup by
// key would mistake for a known element.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from './outcome.js';

const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const MAX_ISSUES = 100;

function isReservedKey(key: string): boolean {
  return Object.prototype.hasOwnProperty.call(Object.prototype, key) || key === 'prototype';
}

export function jsonRuleIssues(resource: unknown, rootPath: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, rootPath, issues);
  return issues;
}

function walk(value: unknown, path: string, issues: OperationOutcomeIssue[]): void {
  if (issues.length >= MAX_ISSUES) return;
  if (typeof value === 'string') {
    if (CONTROL.test(value) || !value.isWellFormed()) {
      issues.push(issue('error', 'value', 'Strings may not contain control characters or malformed Unicode', path));
    }
  } else if (Array.isArray(value)) {
    if (value.length === 0) issues.push(issue('error', 'structure', 'Arrays may not be empty', path));
    value.forEach((item, i) => {
      // null is allowed only as an array item (aligning primitive values with their _element extensions)
      if (item !== null) walk(item, `${path}[${i}]`, issues);
    });
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const itemPath = `${path}.${key}`;
      if (CONTROL.test(key) || !key.isWellFormed() || isReservedKey(key)) {
        issues.push(issue('error', 'structure', `"${key.replace(CONTROL, '?')}" is not an element name`, path));
      } else if (item === null) {
        issues.push(issue('error', 'structure', 'Elements may not be null', itemPath));
      } else {
        walk(item, itemPath, issues);
      }
    }
  }
}
