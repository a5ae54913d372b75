// Where AuditEvents of reads and sign-ins are stored. A request waits until its events are stored
// (an access that cannot be recorded does not complete), but concurrent requests share one INSERT:
// while one batch is being written, the next one gathers (group commit).
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Repository } from '../repo/index.js';

interface Pending {
  events: AuditEvent[];
  done: (err?: unknown) => void;
}

export class AuditLog {
  private queue: Pending[] = [];
  private writing = false;

  constructor(private readonly repo: Repository) {}

  /** Stores the events; resolves once they are committed. */
  record(events: AuditEvent[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ events, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      try {
        await this.repo.append(batch.flatMap((p) => p.events));
        batch.forEach((p) => p.done());
      } catch (err) {
        batch.forEach((p) => p.done(err));
      }
    }
    this.writing = false;
  }
}
