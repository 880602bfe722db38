// Process-wide counters and latency samples, readable as one snapshot. A Cloud
// Functions instance is one process, so "per instance" is exactly this object.

export const COUNTERS = [
  "l1_hits",
  "l1_misses",
  "l1_evictions",
  "l2_hits",
  "l2_misses",
  "firestore_reads",
  "firestore_writes",
  "firestore_commits",
  "retries",
  "tx_conflicts",
  "updates_received",
  "updates_duplicate",
  "updates_in_flight",
  "claims_fenced",
  "claims_released",
  "replies_undelivered",
  "replies_resent",
  "refusals_suppressed",
  "turns_completed",
  "turns_failed",
  "model_calls",
  "model_errors",
  "model_input_tokens",
  "model_output_tokens",
  "model_cache_read_tokens",
  "model_cache_write_tokens",
  "telegram_errors",
  /** Turns that waited for the in-flight media budget (MEDIA_INFLIGHT_MAX_MB). */
  "media_waits",
] as const;
export type Counter = (typeof COUNTERS)[number];

export const HISTOGRAMS = ["turn_ms", "state_load_ms", "model_ms", "reply_ms", "persist_ms"] as const;
export type Histogram = (typeof HISTOGRAMS)[number];

const SAMPLE_SIZE = 1024;

/** A bounded ring of recent samples: percentiles over the last 1024 observations. */
class Samples {
  private readonly values = new Float64Array(SAMPLE_SIZE);
  private count = 0;
  add(v: number): void {
    this.values[this.count % SAMPLE_SIZE] = v;
    this.count++;
  }
  percentiles(): { count: number; p50: number | null; p90: number | null; p99: number | null } {
    const n = Math.min(this.count, SAMPLE_SIZE);
    if (n === 0) return { count: this.count, p50: null, p90: null, p99: null };
    const sorted = Array.from(this.values.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { count: this.count, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  }
}

export class Metrics {
  private readonly counters = new Map<Counter, number>(COUNTERS.map((c) => [c, 0]));
  private readonly histograms = new Map<Histogram, Samples>(HISTOGRAMS.map((h) => [h, new Samples()]));
  warmupMs: number | null = null;

  inc(name: Counter, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get(name: Counter): number {
    return this.counters.get(name) ?? 0;
  }

  observe(name: Histogram, ms: number): void {
    this.histograms.get(name)!.add(ms);
  }

  snapshot() {
    const counters = Object.fromEntries(this.counters) as Record<Counter, number>;
    const lookups = counters.l1_hits + counters.l1_misses;
    return {
      counters,
      l1_hit_ratio: lookups === 0 ? null : counters.l1_hits / lookups,
      warmup_ms: this.warmupMs,
      latency_ms: Object.fromEntries(
        HISTOGRAMS.map((h) => [h, this.histograms.get(h)!.percentiles()]),
      ) as Record<Histogram, ReturnType<Samples["percentiles"]>>,
    };
  }
}

export type MetricsSnapshot = ReturnType<Metrics["snapshot"]>;

/**
 * Prometheus text exposition: one series per instance (label `instance`), so
 * sums and quantiles across instances are the query's job, as Prometheus intends.
 */
export function toPrometheus(reports: { instance: string; snapshot: MetricsSnapshot }[]): string {
  const series = new Map<string, { type: string; lines: string[] }>();
  // `family` groups samples under one TYPE line (a summary's _count belongs to it).
  const add = (name: string, type: string, labels: string, value: number, family = name) => {
    const s = series.get(family) ?? { type, lines: [] };
    s.lines.push(`${name}{${labels}} ${value}`);
    series.set(family, s);
  };
  for (const { instance, snapshot: snap } of reports) {
    const inst = `instance="${instance.replace(/["\\\n]/g, "_")}"`;
    for (const [name, value] of Object.entries(snap.counters))
      add(`tgbot_${name}_total`, "counter", inst, value);
    if (snap.l1_hit_ratio !== null) add("tgbot_l1_hit_ratio", "gauge", inst, snap.l1_hit_ratio);
    if (snap.warmup_ms !== null) add("tgbot_warmup_ms", "gauge", inst, snap.warmup_ms);
    for (const [name, p] of Object.entries(snap.latency_ms)) {
      for (const q of ["p50", "p90", "p99"] as const) {
        const v = p[q];
        if (v !== null) add(`tgbot_${name}`, "summary", `${inst},quantile="0.${q.slice(1)}"`, v);
      }
      add(`tgbot_${name}_count`, "summary", inst, p.count, `tgbot_${name}`);
    }
  }
  const out: string[] = [];
  for (const [name, s] of series) out.push(`# TYPE ${name} ${s.type}`, ...s.lines);
  return `${out.join("\n")}\n`;
}

/** Counters summed over instances, for the JSON view. */
export function sumCounters(snapshots: MetricsSnapshot[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const s of snapshots) for (const [k, v] of Object.entries(s.counters)) total[k] = (total[k] ?? 0) + v;
  return total;
}
