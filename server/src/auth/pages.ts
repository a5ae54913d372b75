// The HTML pages of the authorization server: login, patient picker, consent, errors. Server-rendered,
// no script, no CDN: one small stylesheet, labelled controls, visible focus, AA contrast.

const escapeMap: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML content and attribute values. */
export const esc = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => escapeMap[c]);

const STYLE = `
:root { color-scheme: light; --ink: #14213d; --muted: #4a5568; --line: #cbd5e1; --brand: #0b5cad; --brand-ink: #fff; --bad: #9b1c1c; --bg: #f3f6fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { padding: 1rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); display: flex; align-items: center; gap: .6rem; }
.mark { width: 1.6rem; height: 1.6rem; border-radius: 50%; background: conic-gradient(var(--brand) 0 50%, #37a169 50% 100%); }
header strong { font-size: 1.1rem; letter-spacing: .02em; }
main { max-width: 28rem; margin: 2.5rem auto; padding: 2rem; background: #fff; border: 1px solid var(--line); border-radius: .75rem; box-shadow: 0 8px 24px rgb(20 33 61 / 8%); }
main.wide { max-width: 36rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.lead { color: var(--muted); margin: 0 0 1.5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
input[type=text], input[type=password], input[type=search] { width: 100%; padding: .6rem .7rem; font: inherit; border: 1px solid #94a3b8; border-radius: .4rem; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.hint { color: var(--muted); font-size: .875rem; margin: .25rem 0 0; }
.error { color: var(--bad); background: #fdecec; border: 1px solid #f5b5b5; padding: .6rem .8rem; border-radius: .4rem; margin: 0 0 1rem; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border-radius: .4rem; border: 1px solid var(--brand); cursor: pointer; }
button.primary { background: var(--brand); color: var(--brand-ink); }
button.secondary { background: #fff; color: var(--brand); }
ul.scopes { padding-left: 1.2rem; } ul.scopes li { margin: .2rem 0; }
code { background: #eef2f7; padding: .05rem .3rem; border-radius: .25rem; font-size: .875rem; }
fieldset { border: 0; padding: 0; margin: 1rem 0 0; } legend { font-weight: 600; }
.patient { display: flex; gap: .6rem; align-items: center; padding: .55rem .7rem; border: 1px solid var(--line); border-radius: .4rem; margin: .4rem 0; }
.patient small { color: var(--muted); display: block; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 0 0 1rem; } dt { color: var(--muted); } dd { margin: 0; font-weight: 600; }
`;

export function page(title: string, body: string, wide = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Meridian</title><style>${STYLE}</style></head>
<body><header><span class="mark" aria-hidden="true"></span><strong>Meridian</strong></header>
<main${wide ? ' class="wide"' : ''}>${body}</main></body></html>`;
}

export function loginPage(o: { action: string; appName: string; error?: string; username?: string; askCode?: boolean }): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1><p class="lead">to continue to <strong>${esc(o.appName)}</strong></p>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
<form method="post" action="${esc(o.action)}">
<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required value="${esc(o.username)}"${o.username ? '' : ' autofocus'}>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${o.username ? ' autofocus' : ''}>
<label for="code">One-time code${o.askCode ? '' : ' <span class="hint">(only if your account uses one)</span>'}</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}"${o.askCode ? ' required' : ''}>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>`,
  );
}

export interface PickerPatient {
  id: string;
  name: string;
  birthDate?: string;
  gender?: string;
}

export function pickerPage(o: { searchAction: string; chooseAction: string; appName: string; query: string; patients: PickerPatient[] }): string {
  const list = o.patients.length
    ? `<form method="get" action="${esc(o.chooseAction)}"><fieldset><legend>Patients</legend>${o.patients
        .map(
          (p, i) => `<label class="patient"><input type="radio" name="patient" value="${esc(p.id)}" required${i === 0 ? ' checked' : ''}>
<span>${esc(p.name)}<small>${esc([p.birthDate && `born ${p.birthDate}`, p.gender].filter(Boolean).join(' · '))}</small></span></label>`,
        )
        .join('')}</fieldset><div class="actions"><button class="primary" type="submit">Open this patient</button></div></form>`
    : `<p>${o.query ? `No patient matches “${esc(o.query)}”.` : 'Search for the patient by name.'}</p>`;
  return page(
    'Choose a patient',
    `<h1>Choose a patient</h1><p class="lead"><strong>${esc(o.appName)}</strong> asks which patient to open.</p>
<form method="get" action="${esc(o.searchAction)}" role="search"><label for="q">Patient name</label>
<input id="q" name="q" type="search" value="${esc(o.query)}" autofocus><div class="actions"><button class="secondary" type="submit">Search</button></div></form>
${list}`,
    true,
  );
}

export function consentPage(o: { action: string; abortAction: string; appName: string; user: string; patient?: string; scopes: string[]; patientId?: string }): string {
  return page(
    'Allow access',
    `<h1>Allow ${esc(o.appName)}?</h1><p class="lead">Signed in as <strong>${esc(o.user)}</strong></p>
<dl>${o.patient ? `<dt>Patient</dt><dd>${esc(o.patient)}</dd>` : ''}<dt>Application</dt><dd>${esc(o.appName)}</dd></dl>
<p>It will be able to:</p>
<ul class="scopes">${o.scopes.map((s) => `<li>${describeScope(s)}</li>`).join('')}</ul>
<form method="post" action="${esc(o.action)}">${o.patientId ? `<input type="hidden" name="patient" value="${esc(o.patientId)}">` : ''}
<div class="actions"><button class="primary" type="submit">Allow</button><button class="secondary" type="submit" formaction="${esc(o.abortAction)}">Deny</button></div></form>`,
    true,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p class="error" role="alert">${esc(message)}</p>`);
}

const ACTION_WORDS: Record<string, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
const OIDC_WORDS: Record<string, string> = {
  openid: 'Know who you are',
  fhirUser: 'Know your record in Meridian (fhirUser)',
  offline_access: 'Keep access when you are not using it (offline access)',
  online_access: 'Keep access while you are signed in',
  launch: 'Open with the context Meridian gives it',
  'launch/patient': 'Know which patient is open',
  'launch/encounter': 'Know which encounter is open',
};

/** A scope in words, with the scope itself for the curious. */
function describeScope(scope: string): string {
  const m = /^(patient|user|system)\/(\*|\w+)\.([a-z*]+)(?:\?(.+))?$/.exec(scope);
  if (!m) return `${esc(OIDC_WORDS[scope] ?? scope)} <code>${esc(scope)}</code>`;
  const [, context, type, perms, query] = m;
  const actions = perms === 'read' ? ['read', 'search'] : perms === 'write' ? ['create', 'update', 'delete'] : perms === '*' ? ['do anything with'] : [...perms].map((a) => ACTION_WORDS[a]);
  const what = type === '*' ? 'all data' : `${type} resources`;
  const whose = context === 'patient' ? ' of this patient' : context === 'user' ? ' you can see' : '';
  const text = `${actions.join(', ').replace(/^./, (c) => c.toUpperCase())} ${what}${whose}${query ? ` where ${query}` : ''}`;
  return `${esc(text)} <code>${esc(scope)}</code>`;
}
