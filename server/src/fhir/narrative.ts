// Narrative XHTML (txt-1, txt-2): a <div> in the XHTML namespace holding only the basic formatting
// elements FHIR allows, no scripts, event handlers or javascript: URLs. @medplum/core does not
// evaluate htmlChecks(), so stored narrative could otherwise carry script into every app showing it.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from './outcome.js';

const ALLOWED_TAGS = new Set(
  ('a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 h3 h4 h5 h6 ' +
    'hr i img li ol p pre q samp small span strong sub sup table tbody td tfoot th thead tr tt ul var').split(' '),
);
const TAG = /<\s*\/?\s*([A-Za-z][A-Za-z0-9:-]*)([^>]*)>/g;

export function narrativeIssues(div: unknown, path: string): OperationOutcomeIssue[] {
  if (typeof div !== 'string') return [];
  const problems: string[] = [];
  if (!/^\s*<div\b[^>]*\bxmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["']/.test(div)) {
    problems.push('must be a <div> in the XHTML namespace (http://www.w3.org/1999/xhtml)');
  }
  for (const [, name, attributes] of div.matchAll(TAG)) {
    if (!ALLOWED_TAGS.has(name.toLowerCase())) problems.push(`may not contain <${name}>`);
    if (/(^|\s)on[a-z]+\s*=/i.test(attributes)) problems.push(`may not have event handler attributes (<${name}>)`);
    if (/javascript\s*:/i.test(attributes)) problems.push('may not contain javascript: URLs');
  }
  if (!/>[^<]*\S[^<]*</.test(div) && !/<img\b/i.test(div)) problems.push('must have some non-whitespace content');
  return problems.length ? [issue('error', 'invariant', `Narrative ${[...new Set(problems)].join('; ')}`, path)] : [];
}
