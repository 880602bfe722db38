import type { Logger } from "../observability/logger.js";

/**
 * Background work is never fire-and-forget: every job is tracked, its failure is
 * logged, and `drain()` (on shutdown) waits for all of them.
 */
export class BackgroundJobs {
  private readonly jobs = new Set<Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  run<T>(name: string, job: () => Promise<T>): Promise<T | undefined> {
    const p = job().catch((err: unknown) => {
      this.log.error({ err, job: name }, "background job failed");
      return undefined;
    });
    this.jobs.add(p);
    void p.finally(() => this.jobs.delete(p));
    return p;
  }

  get pending(): number {
    return this.jobs.size;
  }

  async drain(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs]);
  }
}
