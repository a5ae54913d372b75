// The background worker of a server process: takes waiting jobs (and jobs whose owner died) one at a
// time and runs them. Woken at kick-off, and by a poll as a safety net for other processes' jobs.
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import { runExport, type ExportSettings } from './export.js';
import { claimJob, failJob, finishJob } from './jobs.js';

export interface ExportRunner {
  wake(): void;
  stop(): Promise<void>;
}

export function startExportRunner(db: Db, log: Logger, settings: ExportSettings, pollMs = 2000): ExportRunner {
  let busy: Promise<void> | undefined;
  let stopped = false;
  const work = async () => {
    for (let job = await claimJob(db); job && !stopped; job = await claimJob(db)) {
      const started = Date.now();
      try {
        const output = await runExport(db, job, settings, () => stopped);
        if (output) {
          await finishJob(db, job.id, output);
          log.info({ job: job.id, files: output.length, ms: Date.now() - started }, 'export complete');
        } else {
          log.info({ job: job.id }, stopped ? 'export interrupted; another start resumes it' : 'export cancelled');
        }
      } catch (err) {
        log.error({ job: job.id, error: (err as Error).name, code: (err as { code?: string }).code }, 'export failed');
        await failJob(db, job.id, 'The export failed; see the server log').catch(() => undefined);
      }
    }
  };
  const wake = () => {
    if (busy || stopped) return;
    busy = work()
      .catch((err) => log.error({ error: (err as Error).message }, 'export runner error'))
      .finally(() => {
        busy = undefined;
      });
  };
  const timer = setInterval(wake, pollMs);
  timer.unref();
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
  };
}
