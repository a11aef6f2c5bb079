import { type FormEvent, useState } from "react";
import { api } from "../api.ts";
import { ListTable } from "../components/ListTable.tsx";
import { ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";

const PREFIX = "FLOW_";

/** What a person types as a name, as templates read it: capitals, underscores, FLOW_ in front. */
export function settingName(typed: string): string {
  const name = typed
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, "_");
  return name.startsWith(PREFIX) ? name : `${PREFIX}${name}`;
}

/**
 * Settings workflows read as `{{ env.FLOW_… }}` (a webhook URL, a front-desk address): set here,
 * no server restart. A secret is stored encrypted and never shown again.
 */
export function SettingsPage() {
  const { data, error, reload } = useLoad(() => api.settings.list());
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [secret, setSecret] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();

  async function save(e: FormEvent) {
    e.preventDefault();
    setActionError(undefined);
    setSaved(undefined);
    const full = settingName(name);
    try {
      await api.settings.set(full, value, secret);
      setSaved(`Saved ${full}${secret ? " (secret: it will not be shown again)" : ""}.`);
      setName("");
      setValue("");
      setSecret(false);
      await reload();
    } catch (err) {
      setActionError(err);
    }
  }

  async function remove(n: string) {
    if (!window.confirm(`Remove the setting ${n}? Workflows that read it stop at the step that does.`)) return;
    try {
      await api.settings.remove(n);
      await reload();
    } catch (err) {
      setActionError(err);
    }
  }

  // Read from the server's environment only (a stored setting of the same name is listed as stored).
  const fromEnvironment = data?.environment.filter((n) => !data.settings.some((s) => s.name === n)) ?? [];
  return (
    <>
      <PageHead
        title="Settings"
        subtitle="Values your workflows read as {{ env.FLOW_… }}: a webhook URL, a front-desk address, a token."
      />
      <ErrorNotice error={error ?? actionError} />
      {data && data.missing.length > 0 && (
        <div className="notice info" role="status" aria-label="Settings to set">
          Not set yet, and read by a workflow:
          <ul>
            {data.missing.map((m) => (
              <li key={m.name}>
                <button type="button" className="link-button" onClick={() => setName(m.name)}>
                  <code>{m.name}</code>
                </button>{" "}
                — {m.workflows.join(", ")}
              </li>
            ))}
          </ul>
        </div>
      )}
      <form className="card stack" onSubmit={save} aria-label="Add a setting">
        <div className="grid-2">
          <div className="field">
            <label htmlFor="setting-name">
              Name <span className="hint">(FLOW_ is added in front)</span>
            </label>
            <input
              id="setting-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="FLOW_FRONT_DESK_WEBHOOK_URL"
              autoComplete="off"
              required
            />
          </div>
          <div className="field">
            <label htmlFor="setting-value">Value</label>
            <input
              id="setting-value"
              value={value}
              type={secret ? "password" : "text"}
              autoComplete="off"
              onChange={(e) => setValue(e.target.value)}
              required
            />
          </div>
        </div>
        <label className="row small">
          <input type="checkbox" checked={secret} onChange={(e) => setSecret(e.target.checked)} /> Secret: store it
          encrypted, never show it again, and keep it out of run records
        </label>
        <div className="row">
          <button type="submit">Save setting</button>
          {name.trim() && <span className="small muted">Saved as {settingName(name)}</span>}
        </div>
      </form>
      {saved && (
        <div className="notice ok" role="status">
          {saved}
        </div>
      )}
      <ListTable
        label="Settings"
        columns={["Name", "Value", "Changed"]}
        count={data && data.settings.length + fromEnvironment.length}
        empty="No setting yet"
      >
        {data?.settings.map((s) => (
          <tr key={s.name}>
            <td>
              <code>{s.name}</code>
              {data.environment.includes(s.name) && (
                <div className="small muted">The server's environment variable of this name wins.</div>
              )}
            </td>
            <td className="small">{s.secret ? <em>secret (set)</em> : s.value}</td>
            <td className="small">{formatTime(s.updatedAt)}</td>
            <td>
              <button type="button" className="danger small" onClick={() => remove(s.name)}>
                Remove
              </button>
            </td>
          </tr>
        ))}
        {fromEnvironment.map((n) => (
          <tr key={n}>
            <td>
              <code>{n}</code>
            </td>
            <td className="small muted">set in the server's environment</td>
            <td />
            <td />
          </tr>
        ))}
      </ListTable>
    </>
  );
}
