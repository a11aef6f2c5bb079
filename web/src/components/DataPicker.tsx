import { useState } from "react";

/** A JSONata path segment: bare when it is an identifier, back-quoted otherwise. */
function segment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `.\`${key}\``;
}

function preview(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return Array.isArray(value) ? `[${value.length}]` : "{…}";
  return String(value);
}

function Node({
  path,
  value,
  depth,
  onPick,
}: {
  path: string;
  value: unknown;
  depth: number;
  onPick: (ref: string) => void;
}) {
  const [open, setOpen] = useState(depth < 1);
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value)
      ? value.slice(0, 5).map((v, i) => [`[${i}]`, v] as const)
      : // A record's link ids (patient_id, practitioner_id…) first: they are what the next step needs.
        Object.entries(value).sort(([a], [b]) => Number(b.endsWith("_id")) - Number(a.endsWith("_id")));
    return (
      <div style={{ paddingLeft: depth ? 10 : 0 }}>
        <button type="button" onClick={() => setOpen(!open)} aria-expanded={open}>
          <span>
            {open ? "▾" : "▸"} {path.split(/[.[]/).pop()?.replace(/[`\]]/g, "") || path}
          </span>
          <span className="val">{preview(value)}</span>
        </button>
        {open &&
          entries.map(([k, v]) => (
            <Node
              key={k}
              path={k.startsWith("[") ? `${path}${k}` : `${path}${segment(k)}`}
              value={v}
              depth={depth + 1}
              onPick={onPick}
            />
          ))}
      </div>
    );
  }
  const name = path.split(/[.[]/).pop()?.replace(/[`\]]/g, "") ?? path;
  return (
    <div style={{ paddingLeft: depth ? 10 : 0 }}>
      <button type="button" onClick={() => onPick(`{{ ${path} }}`)} title={`Insert {{ ${path} }}`}>
        <span>{name}</span>
        <span className="val">{preview(value)}</span>
      </button>
    </div>
  );
}

/**
 * The trigger's sample event and each earlier step's output, as a tree. Clicking a value inserts a
 * `{{ trigger.first_name }}`-style reference at the cursor of the field last focused.
 */
export function DataPicker({
  trigger,
  steps,
  scope,
  hasTarget,
  onPick,
}: {
  trigger: unknown;
  steps: [string, unknown][];
  /** Inside a loop's body: the current item (a sample of the list's elements) and its index. */
  scope?: { item: unknown };
  hasTarget: boolean;
  onPick: (ref: string) => void;
}) {
  const [open, setOpen] = useState(true);
  return (
    <aside className={`card data-picker${open ? "" : " collapsed"}`} aria-label="Data from earlier steps">
      <div className="card-head">
        <h2>Data</h2>
        <button type="button" className="link-button small" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "Hide" : "Show data"}
        </button>
      </div>
      {open && (
        <>
          <p className="small muted">
            {hasTarget
              ? "Click a value to insert a reference into the field you were editing."
              : "Click into a step's field, then pick a value here to insert a reference."}
          </p>
          <div className="tree">
            {scope && (
              <>
                <Node path="item" value={scope.item ?? {}} depth={0} onPick={onPick} />
                <Node path="index" value={0} depth={0} onPick={onPick} />
              </>
            )}
            {trigger === undefined ? (
              <p className="small muted">Pick a trigger to see its sample data.</p>
            ) : (
              <Node path="trigger" value={trigger} depth={0} onPick={onPick} />
            )}
            {steps.map(([id, out]) =>
              out === undefined ? (
                <p key={id} className="small muted">
                  Test step <code>{id}</code> to use its output.
                </p>
              ) : (
                <Node key={id} path={`steps${segment(id)}`} value={out} depth={0} onPick={onPick} />
              ),
            )}
          </div>
        </>
      )}
    </aside>
  );
}
