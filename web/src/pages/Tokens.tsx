import { type FormEvent, useState } from "react";
import type { TokenView } from "../api.ts";
import { api } from "../api.ts";
import { ListTable } from "../components/ListTable.tsx";
import { ErrorNotice, formatTime, PageHead, useLoad } from "../components/ui.tsx";

type Scope = TokenView["scope"];
const SCOPES: { value: Scope; label: string }[] = [
  { value: "write", label: "Read and change (the whole API and MCP)" },
  { value: "read", label: "Read only (API reads, MCP read-only tools)" },
  { value: "mcp-read", label: "AI assistant, read only (MCP read-only tools only)" },
];

/**
 * API tokens for scripts: `Authorization: Bearer <token>`. A token is shown once, when created;
 * each has a scope and may expire. Changing the admin password revokes them all.
 */
export function TokensPage() {
  const { data, error, loading, reload } = useLoad(() => api.tokens.list());
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>("read");
  const [days, setDays] = useState("90");
  const [created, setCreated] = useState<string | undefined>();
  const [actionError, setActionError] = useState<unknown>();

  async function create(e: FormEvent) {
    e.preventDefault();
    setActionError(undefined);
    try {
      const expiresAt = days.trim() ? new Date(Date.now() + Number(days) * 86_400_000).toISOString() : undefined;
      const token = await api.tokens.create({ name: name.trim(), scope, expiresAt });
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
        <div style={{ minWidth: 220 }}>
          <label htmlFor="token-scope">What it may do</label>
          <select id="token-scope" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
            {SCOPES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div style={{ width: 140 }}>
          <label htmlFor="token-days">Expires after (days)</label>
          <input
            id="token-days"
            type="number"
            min={1}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            placeholder="never"
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
      <ListTable
        label="API tokens"
        columns={["Name", "Scope", "Created", "Expires", "Last used"]}
        count={loading ? undefined : data?.length}
        empty="No API token"
      >
        {data?.map((t) => (
          <tr key={t.id}>
            <td>{t.name}</td>
            <td className="small">{t.scope}</td>
            <td className="small">{formatTime(t.createdAt)}</td>
            <td className="small">{t.expiresAt ? formatTime(t.expiresAt) : "never"}</td>
            <td className="small">{t.lastUsedAt ? formatTime(t.lastUsedAt) : "never"}</td>
            <td>
              <button type="button" className="danger small" onClick={() => revoke(t.id)}>
                Revoke
              </button>
            </td>
          </tr>
        ))}
      </ListTable>
    </>
  );
}
