// Statistics and the printed table.

/** Nearest-rank percentile of numbers (q in 0..1). */
export function percentile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
export const median = (values) => percentile(values, 0.5);
export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

export const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : "n/a");
export const us = (v) => (Number.isFinite(v) ? `${v.toFixed(2)} µs` : "n/a");
export const num = (v, digits = 2) => (Number.isInteger(v) ? String(v) : v.toFixed(digits));

/** PASS / MISS for a measured value against a predicate; "—" when no budget applies. */
export const verdict = (ok) => (ok === null || ok === undefined ? "—" : ok ? "PASS" : "MISS");

/**
 * One row: a figure, what is measured, its budget, and per system a value and a
 * verdict (null when the budget does not apply to that system).
 */
export function row(fig, metric, budget, ours, base) {
  return { fig, metric, budget, ours, baseline: base };
}
export const cell = (value, ok = null) => ({ value, verdict: verdict(ok) });
export const na = (why = "n/a") => ({ value: why, verdict: "—" });

export function formatTable(rows) {
  const header = ["#", "metric", "budget", "ours", "", "baseline (grammY session)", ""];
  const lines = rows.map((r) => [
    r.fig,
    r.metric,
    r.budget,
    r.ours.value,
    r.ours.verdict,
    r.baseline.value,
    r.baseline.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cols) =>
    cols
      .map((c, i) => String(c).padEnd(widths[i]))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-+-");
  return [fmt(header), rule, ...lines.map(fmt)].join("\n");
}
