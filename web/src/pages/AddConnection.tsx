/** The "Add a connection" card: a kind picker, then Cliniko's form or an app kind's generated one. */
import { type FormEvent, useState } from "react";
import { ApiError, api, type ConnectionKindView } from "../api.ts";
import { SchemaForm } from "../components/SchemaForm.tsx";
import { ErrorNotice, useLoad } from "../components/ui.tsx";

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
export function AddConnection({ onAdded, first }: { onAdded: () => void; first: boolean }) {
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
