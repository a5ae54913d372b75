// Runs one export job: for each type, the matching current resources in id order, one page at a
// time, appended as ndjson to files that are written when they reach the configured size. Memory is
// bounded by one page and one file, whatever the size of the data.
import type { Db } from '../db/index.js';
import { RESOURCE_JSON } from '../repo/search.js';
import { patientCompartment } from '../search/compartment.js';
import { parseSearch, SqlBuilder, type Criterion } from '../search/index.js';
import { heartbeat, type ExportOutput, type Job } from './jobs.js';

const PAGE = 1000;

export interface ExportSettings {
  baseUrl: string;
  fileBytes: number;
}

/**
 * Writes the job's files; returns the manifest output, or undefined when the job was cancelled or
 * this process is stopping (the job is then left running, for the next process to take over).
 */
export async function runExport(db: Db, job: Job, settings: ExportSettings, stopping: () => boolean = () => false): Promise<ExportOutput[] | undefined> {
  await db.query('DELETE FROM bulk_files WHERE job_id = $1', [job.id]); // a resumed job starts over
  const output: ExportOutput[] = [];
  const scopes = await exportScopes(db, job, settings.baseUrl);
  let exported = 0;
  for (const [index, { type, criteria }] of scopes.entries()) {
    let after = '';
    let part = 0;
    let lines: string[] = [];
    let bytes = 0;
    let count = 0;
    const flush = async () => {
      if (!lines.length) return;
      const name = `${type}-${++part}.ndjson`;
      await db.query('INSERT INTO bulk_files (job_id, name, resource_type, count, content) VALUES ($1, $2, $3, $4, $5)', [job.id, name, type, lines.length, lines.join('\n') + '\n']);
      output.push({ type, url: `${settings.baseUrl}/$bulk-file/${job.id}/${name}`, count: lines.length });
      lines = [];
      bytes = 0;
    };
    for (;;) {
      const b = new SqlBuilder();
      const where = b.where(criteria, { type: 'r.resource_type', id: 'r.id', row: 'r' });
      const { rows } = await db.query<{ id: string; json: string }>(
        `SELECT r.id, ${RESOURCE_JSON} AS json FROM resources r
         WHERE r.resource_type = ${b.bind(type)} AND NOT r.deleted AND r.id > ${b.bind(after)} AND ${where}
         ORDER BY r.id LIMIT ${b.bind(PAGE)}`,
        b.params,
      );
      for (const row of rows) {
        if (bytes + row.json.length > settings.fileBytes && lines.length) await flush();
        lines.push(row.json);
        bytes += row.json.length + 1;
        count++;
      }
      exported += rows.length;
      if (stopping() || !(await heartbeat(db, job.id, `${type} (${index + 1} of ${scopes.length} types): ${count} resources; ${exported} in all`))) return undefined;
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].id;
    }
    await flush();
  }
  return output;
}

interface Scope {
  type: string;
  criteria: Criterion[];
}

/** What to export per type: the level's population, _since, and the type's _typeFilter queries. */
async function exportScopes(db: Db, job: Job, baseUrl: string): Promise<Scope[]> {
  const { params } = job;
  const compartment = patientCompartment();
  let members: string[] | undefined;
  if (params.level === 'group') {
    const { rows } = await db.query<{ target_id: string }>(
      "SELECT target_id FROM search_reference WHERE resource_type = 'Group' AND resource_id = $1 AND param = 'member' AND target_type = 'Patient'",
      [params.groupId],
    );
    members = rows.map((r) => r.target_id);
  }
  if (params.patients) members = members ? members.filter((m) => params.patients!.includes(m)) : params.patients;
  return params.types.map((type) => {
    const criteria: Criterion[] = [];
    if (params.level !== 'system') {
      if (type === 'Patient') {
        if (members) criteria.push({ kind: 'id', values: members });
      } else {
        const links = (compartment.get(type) ?? []).map((param) => ({ type, param }));
        criteria.push({ kind: 'compartment', targetType: 'Patient', targetIds: members, links });
      }
    }
    if (params.since) criteria.push({ kind: 'lastUpdated', values: [{ prefix: 'gt', start: new Date(params.since), end: new Date(params.since) }] });
    const filters = params.typeFilters[type];
    if (filters?.length) {
      criteria.push({
        kind: 'or',
        alternatives: filters.map((q) => ({ kind: 'and', criteria: parseSearch(type, new URLSearchParams(q), { strict: true, baseUrl }).criteria })),
      });
    }
    return { type, criteria };
  });
}
