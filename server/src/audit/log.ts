// Where the AuditEvents of reads and sign-ins are stored. A read does not wait for its record: the
// events gather for a few milliseconds and go to the database together, one statement for many
// (writes are different: theirs commit in the write's own transaction, see access.ts). The server
// flushes what is pending before it stops; only a crash of the process can lose the last few
// milliseconds of read records. A read that waited for its own INSERT would take several times as long.
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Logger } from '../logger.js';
import type { Repository } from '../repo/index.js';

/** How long events gather before they are written, and how many at most go in one statement. */
const GATHER_MS = 10;
const BATCH = 500;
const RETRY_MS = 1000;

export class AuditLog {
  private queue: AuditEvent[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly log: Logger,
  ) {}

  /** Queues the events; they are stored within milliseconds (see flush). */
  record(events: AuditEvent[]): void {
    if (!events.length) return;
    this.queue.push(...events);
    if (!this.timer && !this.writing) this.timer = setTimeout(() => void this.drain(), GATHER_MS);
  }

  /** Resolves once everything recorded so far is stored (tests; the server before it stops). */
  async flush(): Promise<void> {
    while (this.queue.length || this.writing) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      await (this.writing ?? this.drain());
    }
  }

  private drain(): Promise<void> {
    this.timer = undefined;
    this.writing = (async () => {
      while (this.queue.length) {
        const batch = this.queue.slice(0, BATCH);
        try {
          await this.repo.append(batch);
          this.queue.splice(0, batch.length);
        } catch (err) {
          // the database is unreachable: keep them, say so, and try again
          this.log.error({ error: (err as Error).message, pending: this.queue.length }, 'AuditEvents could not be stored; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    })().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }
}
