// Bulk Data Access 2.0 $export: kick-off at system, Patient and Group/[id] level, status polling,
// cancellation, and the ndjson files. The work itself runs in bulk/ as a durable background job.
import { fhirMountPath } from '../../config.js';
import { createJob, deleteJob, getJob, readFile, type ExportParams } from '../../bulk/jobs.js';
import { patientCompartment } from '../../search/compartment.js';
import { needsTerminology, parseSearch } from '../../search/index.js';
import type { FhirContext } from '../context.js';
import { operationParameters } from '../parameters.js';
import { may, requireScope } from '../../auth/index.js';
import { noteAccess, requestQuery } from '../../audit/index.js';
import { resourceTypes } from '../definitions.js';
import { badRequest, fhirError, informational, notFound } from '../outcome.js';
import { ID_PATTERN } from '../validate.js';

const OUTPUT_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
const KNOWN = new Set(['_outputFormat', '_type', '_since', '_typeFilter', '_format', '_pretty']);

/** GET or POST [base]/$export, [base]/Patient/$export, [base]/Group/[id]/$export. */
export async function exportKickoff(ctx: FhirContext): Promise<void> {
  const { type, id } = ctx.params;
  const { app } = ctx.state;
  const level: ExportParams['level'] = type === undefined ? 'system' : id === undefined ? 'patient' : 'group';
  if (level === 'patient' && type !== 'Patient') throw notFound(`$export is defined on Patient and Group/[id], not ${type}`);
  if (level === 'group') {
    if (type !== 'Group') throw notFound(`$export is defined on Patient and Group/[id], not ${type}/[id]`);
    if (!ID_PATTERN.test(id)) throw notFound(`Group/${id} is not known`);
    await app.repo.read('Group', id);
  }
  if (!/(^|[,;\s])respond-async/i.test(ctx.get('Prefer'))) throw badRequest('$export runs asynchronously: send "Prefer: respond-async"');
  const lenient = /(^|[,;\s])handling\s*=\s*lenient/i.test(ctx.get('Prefer'));
  const query = operationParameters(ctx, '$export');

  for (const name of new Set(query.keys())) {
    if (!KNOWN.has(name) && !lenient) throw badRequest(`$export does not support "${name}" (send Prefer: handling=lenient to ignore it)`);
  }
  const format = query.get('_outputFormat');
  if (format !== null && !OUTPUT_FORMATS.has(format)) throw badRequest(`_outputFormat "${format}" is not supported; use application/fhir+ndjson`);

  const compartment = patientCompartment();
  const allowed = level === 'system' ? resourceTypes() : [...new Set(['Patient', ...compartment.keys()])].filter((t) => resourceTypes().includes(t)).sort();
  const types = [...new Set(query.getAll('_type').flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean))];
  for (const t of types) {
    if (!allowed.includes(t)) throw badRequest(`_type "${t}" is ${resourceTypes().includes(t) ? 'not in the Patient compartment' : 'not a resource type'}`);
  }
  const since = query.get('_since');
  if (since !== null && (Number.isNaN(Date.parse(since)) || !/^\d{4}-\d{2}-\d{2}T/.test(since))) throw badRequest(`_since must be an instant, got "${since}"`);

  const typeFilters: Record<string, string[]> = {};
  for (const filter of query.getAll('_typeFilter').flatMap((v) => v.split(/,(?=[A-Z][A-Za-z]+\?)/))) {
    const match = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(filter.trim());
    if (!match) throw badRequest(`_typeFilter "${filter}" is not Type?query`);
    const [, filterType, filterQuery] = match;
    if (!allowed.includes(filterType)) throw badRequest(`_typeFilter type "${filterType}" cannot be exported here`);
    const parsed = parseSearch(filterType, new URLSearchParams(filterQuery), { strict: true, baseUrl: app.config.baseUrl });
    if (parsed.include.length || parsed.revinclude.length || parsed.sort.length || parsed.count !== undefined) {
      throw badRequest(`_typeFilter "${filter}" may only select resources`);
    }
    if (needsTerminology(parsed.criteria)) throw badRequest(`_typeFilter "${filter}": the terminology modifiers (:in, :not-in, :below, :above) are not supported in _typeFilter`);
    (typeFilters[filterType] ??= []).push(filterQuery);
  }

  // without _type: every type but AuditEvent (the audit trail is exported only when asked for by name)
  const params: ExportParams = { level, groupId: id, types: types.length ? types : allowed.filter((t) => t !== 'AuditEvent'), typeFilters, ...(since ? { since } : {}) };
  // reading every exported type (all of them without _type), and the Group whose members are exported.
  // A token bound to a patient exports that patient's record (Patient or Group level; the Group's
  // members narrowed to that patient); otherwise bulk data spans patients and needs whole types.
  const principal = ctx.state.principal;
  const patient = principal.kind === 'token' && level !== 'system' ? principal.patient : undefined;
  if (level === 'group') requireScope(ctx, 'Group', ['r'], !patient);
  for (const t of params.types) {
    requireScope(ctx, t, ['r', 's'], !patient);
    if (!may(ctx, t, 'r')) throw fhirError(403, 'forbidden', `A granular scope on ${t} does not reach a bulk export`);
  }
  if (patient) params.patients = [patient];
  if (principal.kind === 'token') params.owner = principal.clientId;
  const request = `${app.config.baseUrl}${ctx.path.slice(fhirMountPath(app.config).length)}${ctx.querystring ? `?${ctx.querystring}` : ''}`;
  const job = await createJob(app.db, request, params, app.config.exportMaxJobs);
  if (!job) throw fhirError(429, 'throttled', `${app.config.exportMaxJobs} exports are already running or waiting; try again later`).withHeaders({ 'Retry-After': '10' });
  app.exports.wake();
  noteAccess(ctx, { interaction: 'operation', operation: '$export', action: 'E', seen: [], types: params.types, query: requestQuery(ctx) });
  ctx.status = 202;
  ctx.set('Content-Location', `${app.config.baseUrl}/$export-poll-status/${job.id}`);
  ctx.body = informational(`Export ${job.id} accepted`);
}

/** GET [base]/$export-poll-status/[job]: 202 with progress while running, then the manifest. */
export async function exportStatus(ctx: FhirContext): Promise<void> {
  const { app } = ctx.state;
  const job = await ownJob(ctx, ctx.params.jobId);
  if (!job) throw notFound(`No export ${ctx.params.jobId} (it may have been deleted)`);
  if (job.status === 'accepted' || job.status === 'running') {
    ctx.status = 202;
    ctx.set('X-Progress', job.progress ?? job.status);
    ctx.set('Retry-After', '1');
    ctx.body = informational(`Export ${job.id}: ${job.progress ?? job.status}`);
    return;
  }
  if (job.status === 'error') throw fhirError(500, 'exception', `Export ${job.id} failed: ${job.error}`);
  ctx.status = 200;
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = JSON.stringify({
    transactionTime: new Date(job.transaction_time).toISOString(),
    request: job.request,
    requiresAccessToken: ctx.state.app.config.authMode === 'smart', // the file URLs are FHIR routes: they need the token too
    output: job.output ?? [],
    error: [],
  });
}

/** DELETE [base]/$export-poll-status/[job]: cancels the job and removes its files. */
export async function exportCancel(ctx: FhirContext): Promise<void> {
  const { app } = ctx.state;
  const deleted = !!(await ownJob(ctx, ctx.params.jobId)) && (await deleteJob(app.db, ctx.params.jobId));
  if (!deleted) throw notFound(`No export ${ctx.params.jobId}`);
  ctx.status = 202;
  ctx.body = informational(`Export ${ctx.params.jobId} cancelled; its files are removed`);
}

/** GET [base]/$bulk-file/[job]/[name]: one ndjson file of a completed export. */
export async function exportFile(ctx: FhirContext): Promise<void> {
  const { jobId, name } = ctx.params;
  const content = /^[A-Za-z]+-\d+\.ndjson$/.test(name) && (await ownJob(ctx, jobId)) ? await readFile(ctx.state.app.db, jobId, name) : undefined;
  if (content === undefined) throw notFound(`No export file ${jobId}/${name}`);
  // the bulk data itself: one event per file (per-patient events for millions of rows would dwarf the export)
  noteAccess(ctx, { interaction: 'operation', operation: '$export', action: 'R', seen: [], types: [name.split('-')[0]], query: requestQuery(ctx) });
  ctx.type = 'application/fhir+ndjson';
  ctx.body = content;
}

/** The job, when it exists and the caller asked for it (another client's job is not found, not forbidden). */
async function ownJob(ctx: FhirContext, jobId: string) {
  const job = ID_PATTERN.test(jobId) ? await getJob(ctx.state.app.db, jobId) : undefined;
  const principal = ctx.state.principal;
  if (!job || (principal.kind === 'token' && job.params.owner !== principal.clientId)) return undefined;
  return job;
}
