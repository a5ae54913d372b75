// Bulk export jobs as rows: created at kick-off, claimed by one process (heartbeat), resumed when
// their owner goes quiet, removed (with their files) on DELETE.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.js';

export interface ExportParams {
  level: 'system' | 'patient' | 'group';
  groupId?: string;
  types: string[];
  since?: string;
  /** Per type, the queries of _typeFilter (a resource matches any of its type's queries). */
  typeFilters: Record<string, string[]>;
  /** The OAuth client that asked for it: only it may poll, download and cancel (absent under AUTH_MODE=open). */
  owner?: string;
  /** Only these patients' compartments (a token bound to a patient exports that patient's record). */
  patients?: string[];
}

export interface ExportOutput {
  type: string;
  url: string;
  count: number;
}

export interface Job {
  id: string;
  status: 'accepted' | 'running' | 'complete' | 'error';
  request: string;
  params: ExportParams;
  transaction_time: Date;
  progress: string | null;
  output: ExportOutput[] | null;
  error: string | null;
}

/** A running job whose owner has not written a heartbeat for this long is taken over. */
export const STALE_AFTER_SECONDS = 30;

export async function createJob(db: Db, request: string, params: ExportParams, maxJobs: number): Promise<Job | undefined> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7419002)'); // count and insert as one step
    const { rows } = await tx.query<{ n: number }>("SELECT count(*)::integer AS n FROM bulk_jobs WHERE status IN ('accepted', 'running')");
    if (rows[0].n >= maxJobs) return undefined;
    const created = await tx.query<Job>(
      `INSERT INTO bulk_jobs (id, status, request, params, transaction_time, progress)
       VALUES ($1, 'accepted', $2, $3::jsonb, now(), 'waiting to start') RETURNING *`,
      [randomUUID(), request, JSON.stringify(params)],
    );
    return created.rows[0];
  });
}

export async function getJob(db: Db, id: string): Promise<Job | undefined> {
  const { rows } = await db.query<Job>('SELECT * FROM bulk_jobs WHERE id = $1', [id]);
  return rows[0];
}

export async function deleteJob(db: Db, id: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>('DELETE FROM bulk_jobs WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}

/** Takes the oldest waiting job, or a running one whose owner went quiet (a crash or restart). */
export async function claimJob(db: Db): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(
    `UPDATE bulk_jobs SET status = 'running', heartbeat = now(), progress = 'started'
     WHERE id = (
       SELECT id FROM bulk_jobs
       WHERE status = 'accepted' OR (status = 'running' AND heartbeat < now() - make_interval(secs => $1))
       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [STALE_AFTER_SECONDS],
  );
  return rows[0];
}

/** Records progress; false when the job is gone (cancelled), so the worker stops. */
export async function heartbeat(db: Db, id: string, progress: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    "UPDATE bulk_jobs SET heartbeat = now(), progress = $2 WHERE id = $1 AND status = 'running' RETURNING id",
    [id, progress],
  );
  return rows.length > 0;
}

export async function finishJob(db: Db, id: string, output: ExportOutput[]): Promise<void> {
  await db.query("UPDATE bulk_jobs SET status = 'complete', output = $2::jsonb, progress = 'complete', heartbeat = now() WHERE id = $1", [id, JSON.stringify(output)]);
}

export async function failJob(db: Db, id: string, error: string): Promise<void> {
  await db.query("UPDATE bulk_jobs SET status = 'error', error = $2, heartbeat = now() WHERE id = $1", [id, error]);
}

export async function readFile(db: Db, jobId: string, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ content: string }>('SELECT content FROM bulk_files WHERE job_id = $1 AND name = $2', [jobId, name]);
  return rows[0]?.content;
}
