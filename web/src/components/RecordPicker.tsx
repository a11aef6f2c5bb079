/**
 * A field that takes ids of one Cliniko resource (marked `x-pick-from` in its schema), offered by
 * name from the chosen connection: one record, or several for a list of ids. An id stored but
 * not among those listed stays, shown by its id, so nothing is dropped on the way through.
 */
import { useEffect, useState } from "react";
import { api, type RecordChoice } from "../api.ts";

export function RecordPicker({
  id,
  labelId,
  resource,
  connection,
  multiple,
  value,
  onChange,
  invalid,
}: {
  id: string;
  /** The field's label: a list of checkboxes is a group, named by it (a label names no fieldset). */
  labelId: string;
  resource: string;
  connection: string;
  multiple: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
  invalid?: Record<string, unknown>;
}) {
  const [choices, setChoices] = useState<RecordChoice[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setError(undefined);
    api.connections.records(connection, resource).then(setChoices, (err: unknown) => {
      setChoices([]);
      setError(err instanceof Error ? err.message : String(err));
    });
  }, [connection, resource]);

  // Stored ids keep their type (a number stays a number).
  const stored = (multiple ? (Array.isArray(value) ? value : []) : value === undefined ? [] : [value]) as unknown[];
  const ids = stored.map(String);
  const known = new Set((choices ?? []).map((c) => c.id));
  const all = [...(choices ?? []), ...ids.filter((i) => !known.has(i)).map((i) => ({ id: i, label: `#${i}` }))];
  const typed = (i: string) => {
    const before = stored.find((v) => String(v) === i);
    return before ?? (typeof stored[0] === "number" ? Number(i) : i);
  };
  const status = error ? (
    <div className="small field-error">Could not list them: {error}</div>
  ) : choices === undefined ? (
    <div className="small muted">Loading…</div>
  ) : null;

  if (!multiple)
    return (
      <>
        <select
          id={id}
          value={ids[0] ?? ""}
          onChange={(e) => onChange(e.target.value ? typed(e.target.value) : undefined)}
          {...invalid}
        >
          <option value="">— any —</option>
          {all.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
        {status}
      </>
    );
  return (
    <fieldset id={id} className="pick-list" aria-labelledby={labelId} {...invalid}>
      {all.map((c) => (
        <label key={c.id} className="row small">
          <input
            type="checkbox"
            checked={ids.includes(c.id)}
            onChange={(e) => {
              const next = e.target.checked ? [...ids, c.id] : ids.filter((i) => i !== c.id);
              onChange(next.length > 0 ? next.map(typed) : undefined);
            }}
          />{" "}
          {c.label}
        </label>
      ))}
      {status}
    </fieldset>
  );
}
