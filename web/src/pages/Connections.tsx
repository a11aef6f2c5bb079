import { type FormEvent, useState } from "react";
import { api, type ConnectionTestResult } from "../api.ts";
import { Empty, ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";

const regions = ["au1", "au2", "au3", "au4", "au5", "ca1", "uk1", "uk2", "uk3", "eu1"];

function AddConnection({ onAdded, first }: { onAdded: () => void; first: boolean }) {
  const [form, setForm] = useState({ name: first ? "default" : "", apiKey: "", email: "", region: "", baseUrl: "" });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.connections.create({
        name: form.name.trim(),
        apiKey: form.apiKey.trim(),
        email: form.email.trim(),
        region: form.region || undefined,
        baseUrl: form.baseUrl.trim() || undefined,
      });
      setForm({ name: "", apiKey: "", email: "", region: "", baseUrl: "" });
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="add-connection">
      <h2 id="add-connection">Add a connection</h2>
      <p className="muted small">
        Create an API key in Cliniko under My Info → Manage API keys. The key is stored encrypted and is never shown
        again.
      </p>
      <div className="field">
        <label htmlFor="c-name">Name</label>
        <input id="c-name" value={form.name} onChange={set("name")} required placeholder="default" />
      </div>
      <div className="field">
        <label htmlFor="c-key">API key</label>
        <input id="c-key" type="password" autoComplete="off" value={form.apiKey} onChange={set("apiKey")} required />
      </div>
      <div className="field">
        <label htmlFor="c-email">
          Your email <span className="hint">(Cliniko asks integrations to identify themselves)</span>
        </label>
        <input id="c-email" type="email" value={form.email} onChange={set("email")} required />
      </div>
      <div className="field">
        <label htmlFor="c-region">Region</label>
        <select id="c-region" value={form.region} onChange={set("region")}>
          <option value="">Automatic (from the key)</option>
          {regions.map((r) => (
            <option key={r} value={r}>
              {r.toUpperCase()}
            </option>
          ))}
        </select>
      </div>
      <details className="field">
        <summary className="small">Advanced: custom base URL (sandbox, proxy)</summary>
        <label htmlFor="c-base" className="sr-only">
          Base URL
        </label>
        <input
          id="c-base"
          type="url"
          value={form.baseUrl}
          onChange={set("baseUrl")}
          placeholder="http://127.0.0.1:4010/v1"
        />
      </details>
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save connection"}
      </button>
    </form>
  );
}

export function ConnectionsPage() {
  const { data, error, loading, reload } = useLoad(() => api.connections.list());
  const [tests, setTests] = useState<Record<string, ConnectionTestResult | "testing">>({});
  const [actionError, setActionError] = useState<unknown>();

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
      <PageHead title="Connections" subtitle="The Cliniko accounts your workflows read from and write to." />
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
                    <button type="button" className="danger small" onClick={() => remove(c.id, c.name)}>
                      Remove
                    </button>
                  </div>
                </div>
                <div className="small muted">
                  {c.email} · {c.baseUrl ?? (c.region ? c.region.toUpperCase() : "region from key")} · added{" "}
                  {formatTime(c.createdAt)}
                </div>
                {t && t !== "testing" && (
                  <div className={`notice ${t.ok ? "ok" : "error"}`} role="status">
                    {t.ok ? `Connected as ${t.user?.name ?? "a Cliniko user"}.` : (t.message ?? "The test failed.")}
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
