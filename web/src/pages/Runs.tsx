import { useEffect, useState } from "react";
import { api, type ReplayVersion, type RunStatus } from "../api.ts";
import {
  Badge,
  Empty,
  ErrorDetails,
  ErrorNotice,
  formatDuration,
  formatTime,
  JsonView,
  PageHead,
  useLoad,
} from "../components/ui.tsx";
import { navigate } from "../router.ts";

/** Keyed by the server's closed RunStatus union: a status added there fails to compile here until listed. */
const STATUS_FILTERS: Record<RunStatus, true> = {
  queued: true,
  running: true,
  succeeded: true,
  filtered: true,
  failed: true,
  unknown: true,
};
const statuses = ["", ...Object.keys(STATUS_FILTERS)];
const isStatus = (s: string): s is RunStatus => Object.hasOwn(STATUS_FILTERS, s);

/** A filter given in the link (`#/runs?workflow=…&status=failed`), as the workflows list links them. */
function initialFilter(name: "workflow" | "status"): string {
  const query = window.location.hash.split("?")[1] ?? "";
  return new URLSearchParams(query).get(name) ?? "";
}

export function RunsPage() {
  const [workflow, setWorkflow] = useState(initialFilter("workflow"));
  const [status, setStatus] = useState<RunStatus | "">(() => {
    const s = initialFilter("status");
    return isStatus(s) ? s : "";
  });
  const { data, error, loading, reload } = useLoad(
    () => api.runs.list({ workflow: workflow || undefined, status: status || undefined, limit: 100 }),
    [workflow, status],
  );
  const workflows = useLoad(() => api.workflows.list());

  // Runs appear by themselves while the page is open (the poller works in the background).
  useEffect(() => {
    const timer = window.setInterval(() => void reload(), 3000);
    return () => window.clearInterval(timer);
  }, [reload]);

  return (
    <>
      <PageHead
        title="Run history"
        subtitle="Every time a workflow ran: what started it, each step, and how it ended."
      />
      <div className="row" style={{ marginBottom: "1rem" }}>
        <div className="field" style={{ minWidth: 220 }}>
          <label htmlFor="runs-workflow">Workflow</label>
          <select id="runs-workflow" value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
            <option value="">All workflows</option>
            {workflows.data?.map((w) => (
              <option key={w.id} value={w.name}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field" style={{ minWidth: 160 }}>
          <label htmlFor="runs-status">Status</label>
          <select
            id="runs-status"
            value={status}
            onChange={(e) => setStatus(isStatus(e.target.value) ? e.target.value : "")}
          >
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s || "Any status"}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNotice error={error} />
      {!loading && data?.length === 0 && (
        <Empty title="No runs yet">
          <p>Runs appear here when an active workflow's trigger fires, or when you replay one.</p>
        </Empty>
      )}
      {data && data.length > 0 && (
        <div className="card">
          <table>
            <thead>
              <tr>
                <th>Status</th>
                <th>Workflow</th>
                <th>Trigger</th>
                <th>Started</th>
                <th>Duration</th>
              </tr>
            </thead>
            <tbody>
              {data.map((r) => (
                <tr key={r.id} className="clickable" onClick={() => navigate(`/runs/${encodeURIComponent(r.id)}`)}>
                  <td>
                    <Badge status={r.status} />
                  </td>
                  <td>
                    <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.workflow}</a>
                  </td>
                  <td className="small" title={r.eventKey ? `${r.trigger} · event ${r.eventKey}` : r.trigger}>
                    {r.triggerTitle}
                    {r.event && <div className="muted">{describeEvent(r.event)}</div>}
                  </td>
                  <td className="small">{formatTime(r.startedAt)}</td>
                  <td className="small">{formatDuration(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** "Ada Lovelace · 3/12/2026, 10:00:00 · No. 1042": what the event was about, not its ids. */
function describeEvent(e: { who: string | null; when: string | null; what: string | null }): string {
  const when =
    e.when &&
    (/^\d{4}-\d{2}-\d{2}$/.test(e.when) ? new Date(`${e.when}T00:00:00`).toLocaleDateString() : formatTime(e.when));
  return [e.who, when, e.what].filter(Boolean).join(" · ");
}

export function RunDetailPage({ id }: { id: string }) {
  const { data: run, error, reload } = useLoad(() => api.runs.get(id), [id]);
  const [replayError, setReplayError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // Undefined until the user picks: the server's default (current when the failed step was fixed).
  const [version, setVersion] = useState<ReplayVersion>();

  useEffect(() => {
    // Until it has ended (queued, parked by a delay, or running), it is read again.
    if (run && run.finishedAt === null) {
      const timer = window.setTimeout(() => void reload(), 1500);
      return () => window.clearTimeout(timer);
    }
  }, [run, reload]);

  async function replay(from: "failed" | "start") {
    // A replay from the start sends again what the run already sent: say what, and ask first.
    const again = from === "start" ? (run?.resends ?? []) : [];
    if (
      again.length > 0 &&
      !window.confirm(
        `Replaying from the start runs these steps again, so they will be sent again: ${again
          .map((s) => `${s.title} (${s.stepId})`)
          .join(", ")}. Replay anyway?`,
      )
    )
      return;
    setBusy(true);
    setReplayError(undefined);
    try {
      const next = await api.runs.replay(id, from, version ?? run?.replay.defaultVersion);
      navigate(`/runs/${encodeURIComponent(next.id)}`);
    } catch (err) {
      setReplayError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        <a href="#/runs">← All runs</a>
      </p>
      <ErrorNotice error={error ?? replayError} />
      {run && (
        <>
          <PageHead
            title={run.workflow}
            subtitle={`Run ${run.id} · ${formatTime(run.startedAt)} · ${formatDuration(run.durationMs)}${run.version ? ` · version ${run.version}` : ""}`}
          >
            <Badge status={run.status} />
            {run.version !== null && run.replay.currentVersion !== run.version && (
              <label className="small">
                Replay with{" "}
                <select
                  value={version ?? run.replay.defaultVersion}
                  onChange={(e) => setVersion(e.target.value as ReplayVersion)}
                  title={run.replay.reason}
                >
                  <option value="current">the current version ({run.replay.currentVersion})</option>
                  <option value="ran">the version it ran ({run.version})</option>
                </select>
              </label>
            )}
            {run.failure && (
              <button type="button" onClick={() => replay("failed")} disabled={busy}>
                Replay from failed step
              </button>
            )}
            <button type="button" className="secondary" onClick={() => replay("start")} disabled={busy}>
              Replay from start
            </button>
          </PageHead>
          {/* The failed step shows its own error: the run's banner only says what no step does (a setting, the clinic's time zone). */}
          {run.error && !run.steps.some((s) => s.error === run.error) && (
            <div className="notice error" role="alert" aria-label="Run error">
              {run.error}
              <ErrorDetails details={run.details} />
            </div>
          )}
          {run.replays.length > 0 && (
            <div className="notice info" role="status" aria-label="Replays">
              Replayed as{" "}
              {run.replays.map((r, i) => (
                <span key={r.id}>
                  {i > 0 && ", "}
                  <a href={`#/runs/${encodeURIComponent(r.id)}`}>run {r.id}</a> ({r.status})
                </span>
              ))}
              .
            </div>
          )}
          {run.version !== null && run.replay.currentVersion !== run.version && (
            <p className="small muted">
              The workflow has changed since this run (now version {run.replay.currentVersion}). {run.replay.reason}
            </p>
          )}
          <section className="card step-card trigger" aria-label="Trigger event">
            <h2>
              {run.triggerTitle} <code className="muted small">{run.trigger}</code>
            </h2>
            {run.event && <p>{describeEvent(run.event)}</p>}
            {run.eventKey && <p className="small muted">Event {run.eventKey}</p>}
            <details>
              <summary>Event data</summary>
              <JsonView value={run.payload} label="Trigger event data" />
            </details>
          </section>
          {run.steps.length === 0 && <p className="muted">No step has run yet.</p>}
          {run.steps.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a run's step results never reorder; a retried step repeats its id
            <section className="card step-card" key={`${s.stepId}-${i}`} aria-label={`Step ${s.stepId}`}>
              <div className="card-head">
                <h2>
                  <span className="step-num">{i + 1}</span>
                  {s.stepId}
                </h2>
                <div className="row small">
                  <Badge status={s.status} /> {formatDuration(s.durationMs)}
                </div>
              </div>
              {s.error && (
                <div className="notice error">
                  {s.error}
                  <ErrorDetails details={s.details} />
                </div>
              )}
              <div className="grid-2">
                <div>
                  <h3>Input</h3>
                  <JsonView value={s.input} label={`Input of ${s.stepId}`} />
                </div>
                <div>
                  <h3>Output</h3>
                  <JsonView value={s.output} label={`Output of ${s.stepId}`} />
                </div>
              </div>
            </section>
          ))}
        </>
      )}
    </>
  );
}
