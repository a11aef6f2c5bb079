import { FieldProblems, invalidProps } from "./Problems.tsx";

/** Which stored connection a trigger or step uses; "" (default) is stored as no connection at all. */
export function ConnectionField({
  id,
  value,
  connections,
  onChange,
  issues = [],
}: {
  id: string;
  value: string | undefined;
  connections: string[];
  onChange: (connection: string | undefined) => void;
  issues?: string[];
}) {
  // "default" is offered only when a connection has that name; a name that no longer exists is
  // shown as missing rather than silently replaced.
  const missing = value !== undefined && !connections.includes(value);
  return (
    <div className="field">
      <label htmlFor={id}>Connection</label>
      <select
        id={id}
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value || undefined)}
        {...invalidProps(id, issues)}
      >
        {!connections.includes("default") && <option value="">— choose a connection —</option>}
        {missing && <option value={value}>{value} (missing)</option>}
        {connections.map((c) => (
          <option key={c} value={c === "default" ? "" : c}>
            {c}
          </option>
        ))}
      </select>
      <FieldProblems id={id} issues={issues} />
      {connections.length === 0 && (
        <div className="hint small muted">
          No connection yet: <a href="#/connections">add your Cliniko account</a>.
        </div>
      )}
    </div>
  );
}
