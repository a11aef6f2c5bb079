import { type FormEvent, useState } from "react";
import { api, type ConnectionKindView, type ConnectionView } from "../api.ts";
import { SchemaForm } from "../components/SchemaForm.tsx";
import { ErrorNotice } from "../components/ui.tsx";

/**
 * Changing a stored connection: its settings as stored, its secrets blank. A secret left blank
 * keeps its stored value (the server never sends it back to fill in).
 */
export function EditConnection({
  connection,
  kind,
  onSaved,
  onCancel,
}: {
  connection: ConnectionView;
  /** The app kind's settings schema; undefined for Cliniko. */
  kind?: ConnectionKindView;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [settings, setSettings] = useState<Record<string, unknown>>(connection.settings ?? {});
  const [cliniko, setCliniko] = useState({ email: connection.email ?? "", apiKey: "" });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.connections.update(
        connection.name,
        kind ? { settings } : { email: cliniko.email.trim(), apiKey: cliniko.apiKey.trim() || undefined },
      );
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={`Edit connection ${connection.name}`} className="stack">
      <p className="small muted">Leave a password, token or key blank to keep the stored one.</p>
      {kind ? (
        <SchemaForm schema={kind.schema} value={settings} onChange={setSettings} onFocusTarget={() => {}} />
      ) : (
        <>
          <div className="field">
            <label htmlFor={`e-email-${connection.id}`}>Your email</label>
            <input
              id={`e-email-${connection.id}`}
              type="email"
              value={cliniko.email}
              onChange={(e) => setCliniko({ ...cliniko, email: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`e-key-${connection.id}`}>New API key</label>
            <input
              id={`e-key-${connection.id}`}
              type="password"
              autoComplete="off"
              value={cliniko.apiKey}
              placeholder="blank: keep the stored key"
              onChange={(e) => setCliniko({ ...cliniko, apiKey: e.target.value })}
            />
          </div>
        </>
      )}
      <ErrorNotice error={error} />
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save changes"}
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
