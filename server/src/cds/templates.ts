// Prefetch templates (CDS Hooks 2.0 "Prefetch tokens"), shared by the server and client.ts: no
// Node-only APIs here.

const USER_TOKENS: Record<string, string> = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
};

/**
 * A template with its tokens replaced: `{{context.<field>}}` (a string context field),
 * `{{userPractitionerId}}`, `{{userPractitionerRoleId}}`, `{{userPatientId}}`, `{{userRelatedPersonId}}`
 * (the id of context.userId when it is of that type). undefined when a token has no value (the
 * prefetch is then null: the client could not have supplied it either).
 */
export function renderTemplate(template: string, context: Record<string, unknown>): string | undefined {
  let missing = false;
  const out = template.replace(/\{\{\s*([A-Za-z.]+)\s*\}\}/g, (_, token: string) => {
    let value: unknown;
    if (token.startsWith('context.')) value = context[token.slice('context.'.length)];
    else if (USER_TOKENS[token]) {
      const user = typeof context.userId === 'string' ? context.userId : '';
      const [type, id] = user.split('/');
      value = type === USER_TOKENS[token] ? id : undefined;
    }
    if (typeof value !== 'string' || value === '') {
      missing = true;
      return '';
    }
    return encodeURIComponent(value);
  });
  return missing ? undefined : out;
}

