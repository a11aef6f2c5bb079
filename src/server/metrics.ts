/**
 * Prometheus text exposition for /metrics: request counters kept here, run and queue gauges read
 * from the store at scrape time, and the engine's poll / Cliniko request / 429 counters.
 */
import { RUN_STATUSES } from "../store/runs.ts";
import type { LabelledMetric } from "./engine-port.ts";

const PREFIX = "cliniko_flow_";

/** Counters every scrape shows, at 0 until the engine reports them (stable names for dashboards). */
const ENGINE_COUNTERS: Record<string, string> = {
  polls_total: "Polls of Cliniko list endpoints.",
  poll_errors_total: "Polls that failed.",
  cliniko_requests_total: "Requests sent to Cliniko.",
  cliniko_rate_limited_total: "Cliniko answers with status 429.",
};

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;

export class HttpMetrics {
  readonly #requests = new Map<string, { labels: Record<string, string>; count: number }>();
  readonly #durations = new Map<string, { labels: Record<string, string>; sum: number; count: number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const l = { method, route, status: String(status) };
    const key = JSON.stringify(l);
    const r = this.#requests.get(key) ?? { labels: l, count: 0 };
    r.count++;
    this.#requests.set(key, r);
    const dl = { method, route };
    const dkey = JSON.stringify(dl);
    const d = this.#durations.get(dkey) ?? { labels: dl, sum: 0, count: 0 };
    d.sum += seconds;
    d.count++;
    this.#durations.set(dkey, d);
  }

  render(
    runCounts: Record<string, number>,
    engineStats: Record<string, number> = {},
    labelled: LabelledMetric[] = [],
  ): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, lines: string[]) => {
      out.push(`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} ${type}`, ...lines);
    };
    metric(
      "http_requests_total",
      "counter",
      "HTTP requests served, by method, route and status.",
      [...this.#requests.values()].map((r) => `${PREFIX}http_requests_total${labels(r.labels)} ${r.count}`),
    );
    metric("http_request_duration_seconds", "summary", "Time to serve HTTP requests, by method and route.", [
      ...[...this.#durations.values()].flatMap((d) => [
        `${PREFIX}http_request_duration_seconds_sum${labels(d.labels)} ${d.sum.toFixed(6)}`,
        `${PREFIX}http_request_duration_seconds_count${labels(d.labels)} ${d.count}`,
      ]),
    ]);
    const statuses = [...new Set([...RUN_STATUSES, ...Object.keys(runCounts)])];
    metric(
      "runs",
      "gauge",
      "Stored runs by status.",
      statuses.map((s) => `${PREFIX}runs${labels({ status: s })} ${runCounts[s] ?? 0}`),
    );
    metric("queue_depth", "gauge", "Runs waiting for a worker.", [`${PREFIX}queue_depth ${runCounts.queued ?? 0}`]);
    for (const [name, help] of Object.entries(ENGINE_COUNTERS))
      metric(name, "counter", help, [`${PREFIX}${name} ${engineStats[name] ?? 0}`]);
    for (const [name, value] of Object.entries(engineStats)) {
      if (name in ENGINE_COUNTERS || !/^[a-z_][a-z0-9_]*$/.test(name) || !Number.isFinite(value)) continue;
      metric(name, name.endsWith("_total") ? "counter" : "gauge", `Engine statistic ${name}.`, [
        `${PREFIX}${name} ${value}`,
      ]);
    }
    for (const m of labelled)
      metric(
        m.name,
        m.type,
        m.help,
        m.samples.map((x) => `${PREFIX}${m.name}${labels(x.labels)} ${x.value}`),
      );
    return `${out.join("\n")}\n`;
  }
}
