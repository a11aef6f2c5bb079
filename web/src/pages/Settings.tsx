import { type FormEvent, useState } from "react";
import { api } from "../api.ts";
import { Empty, ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";

/** API tokens for scripts: `Authorization: Bearer <token>`. A token is shown once, when created. */
export function SettingsPage() {
  const { data, error, loading, reload } = useLoad(() => api.tokens.list());
  const [name, setName] = useState("");
  const [created, setCreated] = useState<string | undefined>();
  const [actionError, setActionError] = useState<unknown>();

  async function create(e: FormEvent) {
    e.preventDefault();
    setActionError(undefined);
    try {
      const token = await api.tokens.create(name.trim());
      setCreated(token.token);
      setName("");
      await reload();
    } catch (err) {
      setActionError(err);
    }
  }

  async function revoke(id: string) {
    try {
      await api.tokens.remove(id);
      await reload();
    } catch (err) {
      setActionError(err);
    }
  }

  return (
    <>
      <PageHead title="API tokens" subtitle="For scripts: send Authorization: Bearer <token> with each request." />
      <ErrorNotice error={error ?? actionError} />
      <form className="card row" onSubmit={create}>
        <div style={{ flex: 1, minWidth: 220 }}>
          <label htmlFor="token-name">Token name</label>
          <input
            id="token-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="nightly export"
            required
          />
        </div>
        <button type="submit" style={{ alignSelf: "end" }}>
          Create token
        </button>
      </form>
      {created && (
        <div className="notice ok" role="status">
          Copy this token now; it will not be shown again: <code>{created}</code>
        </div>
      )}
      {!loading && data?.length === 0 && <Empty title="No API token" />}
      {data && data.length > 0 && (
        <div className="card">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Last used</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td className="small">{formatTime(t.createdAt)}</td>
                  <td className="small">{formatTime(t.lastUsedAt)}</td>
                  <td>
                    <button type="button" className="danger small" onClick={() => revoke(t.id)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
