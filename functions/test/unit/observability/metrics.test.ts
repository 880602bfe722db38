import { describe, expect, it } from "vitest";
import { Metrics, toPrometheus } from "../../../src/observability/metrics.js";

describe("metrics", () => {
  it("snapshots counters, hit ratio and latency percentiles", () => {
    const m = new Metrics();
    m.inc("l1_hits", 3);
    m.inc("l1_misses");
    for (let i = 1; i <= 100; i++) m.observe("turn_ms", i);
    const s = m.snapshot();
    expect(s.counters.l1_hits).toBe(3);
    expect(s.l1_hit_ratio).toBe(0.75);
    expect(s.latency_ms.turn_ms).toMatchObject({ count: 100, p50: 51, p99: 100 });
  });

  it("renders Prometheus text", () => {
    const m = new Metrics();
    m.inc("firestore_reads", 2);
    m.observe("model_ms", 5);
    const text = toPrometheus(m.snapshot());
    expect(text).toContain("tgbot_firestore_reads_total 2");
    expect(text).toContain('tgbot_model_ms{quantile="0.50"} 5');
    expect(text).toContain("tgbot_model_ms_count 1");
  });
});
