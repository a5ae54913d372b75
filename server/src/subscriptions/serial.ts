// A job that runs now when woken, or once more right after the run in progress: wake-ups that come
// while it runs fold into that one re-run, and two runs never overlap. The dispatcher, rest-hook
// delivery and the websocket hub each run their work this way.
export class SerialRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private halted = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** True once stop was called (long jobs check it between steps). */
  get stopped(): boolean {
    return this.halted;
  }

  wake(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.job();
        } catch (err) {
          this.onError(err as Error);
        }
      } while (this.again && !this.halted);
      this.running = undefined;
    })();
  }

  /** Accepts wake-ups again after a stop. */
  resume(): void {
    this.halted = false;
  }

  /** No more runs; resolves when the one in progress ends. */
  async stop(): Promise<void> {
    this.halted = true;
    await this.running;
  }
}
