import { Timestamp } from "@google-cloud/firestore";
import { z } from "zod";
import type { MetricsSnapshot } from "../observability/metrics.js";
import type { DocIO } from "./firestore.js";
import type { Op } from "./op.js";

const ReportSchema = z.object({
  instance: z.string(),
  at: z.instanceof(Timestamp),
  snapshot: z.looseObject({ counters: z.record(z.string(), z.number()) }),
  expireAt: z.instanceof(Timestamp),
});
export type MetricsReport = { instance: string; at: Date; snapshot: MetricsSnapshot };

const REPORT_TTL_MS = 24 * 3600_000;

/**
 * Each function instance's metrics snapshot, one document per instance
 * (`metrics/{instanceId}`, TTL on `expireAt`). Instances are separate processes,
 * and the admin metrics function is another service: this is how it sees them.
 */
export class MetricsReports {
  constructor(private readonly io: DocIO) {}

  async publish(instance: string, snapshot: MetricsSnapshot, op: Op): Promise<void> {
    const now = op.deadline.clock.now();
    await this.io.commit(op, (writes) =>
      writes.set(this.io.ref("metrics", instance), {
        instance,
        at: Timestamp.fromMillis(now),
        snapshot,
        expireAt: Timestamp.fromMillis(now + REPORT_TTL_MS),
      }),
    );
  }

  /** Reports written in the last `windowMs` (instances that stopped reporting drop out). */
  async recent(windowMs: number, op: Op): Promise<MetricsReport[]> {
    const now = op.deadline.clock.now();
    const q = this.io.deps
      .db()
      .collection(this.io.deps.names.metrics)
      .where("at", ">=", Timestamp.fromMillis(now - windowMs));
    const snap = await this.io.query("recent metrics reports", q, op);
    const out: MetricsReport[] = [];
    for (const d of snap.docs) {
      const r = this.io.parse(d, ReportSchema, op.log).doc.value;
      if (r)
        out.push({
          instance: r.instance,
          at: r.at.toDate(),
          snapshot: r.snapshot as unknown as MetricsSnapshot,
        });
    }
    return out;
  }
}
