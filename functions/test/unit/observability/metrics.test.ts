import { describe, expect, it } from "vitest";
import { Metrics, sumCounters, toPrometheus } from "../../../src/observability/metrics.js";

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

  it("renders Prometheus text with one series per instance, each TYPE once", () => {
    const a = new Metrics();
    a.inc("firestore_reads", 2);
    a.observe("model_ms", 5);
    const b = new Metrics();
    b.inc("firestore_reads", 3);
    const text = toPrometheus([
      { instance: "a", snapshot: a.snapshot() },
      { instance: "b", snapshot: b.snapshot() },
    ]);
    expect(text).toContain('tgbot_firestore_reads_total{instance="a"} 2');
    expect(text).toContain('tgbot_firestore_reads_total{instance="b"} 3');
    expect(text).toContain('tgbot_model_ms{instance="a",quantile="0.50"} 5');
    expect(text.match(/# TYPE tgbot_firestore_reads_total counter/g)).toHaveLength(1);
    expect(sumCounters([a.snapshot(), b.snapshot()]).firestore_reads).toBe(5);
  });
});
