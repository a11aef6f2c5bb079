import { type FormEvent, useState } from "react";
import { ApiError, api, type ConnectionKindView, type ConnectionTestResult } from "../api.ts";
import { SchemaForm } from "../components/SchemaForm.tsx";
import { Empty, ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";
import { EditConnection } from "./EditConnection.tsx";

const regions = ["au1", "au2", "au3", "au4", "au5", "ca1", "uk1", "uk2", "uk3", "eu1"];

/**
 * An app connection's form, generated from its kind's settings schema: secrets (writeOnly) are
 * password inputs, cleared after saving and never shown again.
 */
function AddAppConnection({ kind, onAdded }: { kind: ConnectionKindView; onAdded: () => void }) {
  const [name, setName] = useState("");
  const [settings, setSettings] = useState<Record<string, unknown>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // The generated fields keep their own text; a new key after saving clears them (secrets too).
  const [generation, setGeneration] = useState(0);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.connections.create({ name: name.trim(), kind: kind.kind, settings });
      setName("");
      setSettings({});
      setGeneration((g) => g + 1);
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={`New ${kind.title} connection`}>
      <p className="muted small">{kind.description} Passwords and tokens are stored encrypted and never shown again.</p>
      <div className="field">
        <label htmlFor="c-name">Name</label>
        <input id="c-name" value={name} onChange={(e) => setName(e.target.value)} required placeholder={kind.kind} />
      </div>
      <SchemaForm
        key={generation}
        schema={kind.schema}
        value={settings}
        onChange={setSettings}
        onFocusTarget={() => {}}
      />
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save connection"}
      </button>
    </form>
  );
}

/** The "Add a connection" card: a kind picker, then Cliniko's form or the app kind's generated one. */
function AddConnection({ onAdded, first }: { onAdded: () => void; first: boolean }) {
  const kinds = useLoad(() => api.connections.kinds());
  const [kind, setKind] = useState("cliniko");
  const app = kinds.data?.find((k) => k.kind === kind);
  return (
    <section className="card" aria-labelledby="add-connection">
      <h2 id="add-connection">Add a connection</h2>
      <div className="field">
        <label htmlFor="c-kind">Kind</label>
        <select id="c-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="cliniko">Cliniko</option>
          {kinds.data?.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.title}
            </option>
          ))}
        </select>
      </div>
      <ErrorNotice error={kinds.error} />
      {app ? (
        <AddAppConnection key={app.kind} kind={app} onAdded={onAdded} />
      ) : (
        <AddClinikoConnection onAdded={onAdded} first={first} />
      )}
    </section>
  );
}

function AddClinikoConnection({ onAdded, first }: { onAdded: () => void; first: boolean }) {
  const [form, setForm] = useState({ name: first ? "default" : "", apiKey: "", email: "", region: "", baseUrl: "" });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const baseUrlError = error instanceof ApiError ? error.details.find((d) => d.path === "baseUrl")?.message : undefined;
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
    <form onSubmit={submit} aria-label="Add a Cliniko connection">
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
      <details className="field" open={baseUrlError ? true : undefined}>
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
          aria-invalid={baseUrlError ? true : undefined}
          aria-describedby={baseUrlError ? "c-base-error" : undefined}
        />
        {baseUrlError && (
          <div id="c-base-error" className="field-error small">
            {baseUrlError}
          </div>
        )}
      </details>
      {/* A refused base URL is said beside its field (the API names it), not again here. */}
      <ErrorNotice error={baseUrlError ? undefined : error} />
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save connection"}
      </button>
    </form>
  );
}

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
