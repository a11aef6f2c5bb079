import { useState } from "react";
import { api } from "../api.ts";
import { Badge, Empty, ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";
import { navigate } from "../router.ts";
import { TemplateGallery } from "./Templates.tsx";

export function WorkflowsPage() {
  const { data, error, loading, reload } = useLoad(() => api.workflows.list());
  const [actionError, setActionError] = useState<unknown>();

  async function toggle(id: string, enabled: boolean) {
    setActionError(undefined);
    try {
      await (enabled ? api.workflows.disable(id) : api.workflows.enable(id));
      await reload();
    } catch (err) {
      setActionError(err);
    }
  }

  return (
    <>
      <PageHead title="Workflows" subtitle="One trigger, then steps. Active workflows run by themselves.">
        <button type="button" onClick={() => navigate("/workflows/new")}>
          New workflow
        </button>
      </PageHead>
      <ErrorNotice error={error ?? actionError} />
      {!loading && data?.length === 0 && (
        <Empty title="No workflow yet">
          <p>
            Start with something small: when a new patient is added, create a medical alert to collect their intake
            form.
          </p>
          <button type="button" onClick={() => navigate("/workflows/new")}>
            Build your first workflow
          </button>
        </Empty>
      )}
      {data && data.length > 0 && (
        <div className="card">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Trigger</th>
                <th>Steps</th>
                <th>Status</th>
                <th>Last run</th>
                <th>Updated</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((w) => (
                <tr key={w.id}>
                  <td>
                    <a href={`#/workflows/${encodeURIComponent(w.id)}`}>{w.name}</a>
                    {w.hasDraft && (
                      <div className="small muted" title="A change that could not be switched on, kept unsaved">
                        Draft kept: not switched on
                      </div>
                    )}
                    {w.pausedReason && (
                      <div className="small" style={{ color: "var(--bad)" }}>
                        {w.pausedReason}
                      </div>
                    )}
                  </td>
                  <td title={w.trigger}>{w.triggerTitle}</td>
                  <td>{w.steps}</td>
                  <td>
                    <Badge status={w.enabled ? "on" : "off"} />
                  </td>
                  <td className="small">
                    {w.health?.lastRun ? (
                      <a href={`#/runs/${encodeURIComponent(w.health.lastRun.id)}`}>
                        <Badge status={w.health.lastRun.status} /> {formatTime(w.health.lastRun.at)}
                      </a>
                    ) : (
                      <span className="muted">never run</span>
                    )}
                    {w.health && w.health.failed > 0 && (
                      <div>
                        <a
                          style={{ color: "var(--bad)" }}
                          href={`#/runs?workflow=${encodeURIComponent(w.name)}&status=failed`}
                        >
                          {w.health.failed} of {w.health.runs} runs failed
                        </a>
                      </div>
                    )}
                  </td>
                  <td className="small">
                    {formatTime(w.updatedAt)} · v{w.version}
                  </td>
                  <td>
                    <div className="row">
                      <button type="button" className="secondary small" onClick={() => toggle(w.id, w.enabled)}>
                        {w.enabled ? "Pause" : "Activate"}
                      </button>
                      <a className="small" href={`#/runs?workflow=${encodeURIComponent(w.name)}`}>
                        Runs
                      </a>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <TemplateGallery />
    </>
  );
}
