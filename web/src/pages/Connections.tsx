/** The stored connections (test, edit, remove) beside the card that adds one. */
import { useState } from "react";
import { api, type ConnectionTestResult } from "../api.ts";
import { Empty, ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";
import { AddConnection } from "./AddConnection.tsx";
import { EditConnection } from "./EditConnection.tsx";

export function ConnectionsPage() {
  const { data, error, loading, reload } = useLoad(() => api.connections.list());
  const kinds = useLoad(() => api.connections.kinds());
  const kindTitle = (kind: string) =>
    kinds.data?.find((k) => k.kind === kind)?.title ?? (kind === "cliniko" ? "Cliniko" : kind);
  const [tests, setTests] = useState<Record<string, ConnectionTestResult | "testing">>({});
  const [actionError, setActionError] = useState<unknown>();
  const [editing, setEditing] = useState<string>();

  async function test(id: string) {
    setTests((t) => ({ ...t, [id]: "testing" }));
    try {
      const result = await api.connections.test(id);
      setTests((t) => ({ ...t, [id]: result }));
    } catch (err) {
      setTests((t) => ({ ...t, [id]: { ok: false, message: err instanceof Error ? err.message : String(err) } }));
    }
  }

  async function remove(id: string, name: string) {
    if (!window.confirm(`Remove the connection "${name}"? Workflows using it will stop working.`)) return;
    try {
      await api.connections.remove(id);
      await reload();
    } catch (err) {
      setActionError(err);
    }
  }

  return (
    <>
      <PageHead title="Connections" subtitle="The Cliniko accounts and apps your workflows read from and write to." />
      <ErrorNotice error={error ?? actionError} />
      <div className="grid-2">
        <section aria-label="Your connections">
          {!loading && data?.length === 0 && (
            <Empty title="No connection yet">
              <p>
                Add your Cliniko API key to start. Workflows without an explicit connection use the one named "default".
              </p>
            </Empty>
          )}
          {data?.map((c) => {
            const t = tests[c.id];
            return (
              <article className="card" key={c.id} aria-label={`Connection ${c.name}`}>
                <div className="card-head">
                  <h2>{c.name}</h2>
                  <div className="row">
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => test(c.id)}
                      disabled={t === "testing"}
                    >
                      {t === "testing" ? "Testing…" : "Test"}
                    </button>
                    <button type="button" className="secondary small" onClick={() => setEditing(c.id)}>
                      Edit
                    </button>
                    <button type="button" className="danger small" onClick={() => remove(c.id, c.name)}>
                      Remove
                    </button>
                  </div>
                </div>
                <div className="small muted">
                  {kindTitle(c.kind)} ·{" "}
                  {c.kind === "cliniko"
                    ? `${c.email} · ${c.baseUrl ?? (c.region ? c.region.toUpperCase() : "region from key")}`
                    : c.summary}{" "}
                  · added {formatTime(c.createdAt)}
                </div>
                {editing === c.id && (
                  <EditConnection
                    connection={c}
                    kind={kinds.data?.find((k) => k.kind === c.kind)}
                    onSaved={() => {
                      setEditing(undefined);
                      void reload();
                    }}
                    onCancel={() => setEditing(undefined)}
                  />
                )}
                {t && t !== "testing" && (
                  <div className={`notice ${t.ok ? "ok" : "error"}`} role="status">
                    {t.ok
                      ? (t.message ?? `Connected as ${t.user?.name ?? "a Cliniko user"}.`)
                      : (t.message ?? "The test failed.")}
                  </div>
                )}
              </article>
            );
          })}
        </section>
        <AddConnection onAdded={reload} first={data?.length === 0} />
      </div>
    </>
  );
}
