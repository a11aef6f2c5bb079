import { useState } from "react";
import type { JsonSchema } from "../api.ts";
import { FieldInput, type InsertTarget } from "./FieldInput.tsx";

export type { InsertTarget };

/**
 * A form generated from an input JSON Schema: one field per property, required ones first.
 * Every text field accepts `{{ }}` references; focusing one makes it the data picker's target.
 */
export function SchemaForm({
  schema,
  value,
  onChange,
  onFocusTarget,
  issues = {},
  connection,
}: {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  onFocusTarget: (insert: InsertTarget) => void;
  /** Messages per field name, shown beside the field. */
  issues?: Record<string, string[]>;
  /** The Cliniko connection whose records fields marked x-pick-from offer by name. */
  connection?: string;
}) {
  const required = new Set(schema.required ?? []);
  const [showOptional, setShowOptional] = useState(false);
  const entries = Object.entries(schema.properties ?? {});
  const req = entries.filter(([k]) => required.has(k));
  const opt = entries.filter(([k]) => !required.has(k));
  // A field once shown stays shown when emptied: the one being typed in never disappears.
  const [kept, setKept] = useState<ReadonlySet<string>>(new Set());
  // A choice with a default (an SMTP server's security) is shown: its default is a decision, not a blank.
  const filledOptional = opt.filter(
    ([k, s]) => value[k] !== undefined || issues[k] || kept.has(k) || (s.default !== undefined && s.enum !== undefined),
  );
  const shown = showOptional ? opt : filledOptional;

  const set = (name: string, v: unknown) => {
    if (!kept.has(name)) setKept(new Set([...kept, name]));
    const next = { ...value };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  const render = ([name, s]: [string, JsonSchema]) => (
    <FieldInput
      key={name}
      name={name}
      schema={s}
      required={required.has(name)}
      value={value[name]}
      onChange={(v) => set(name, v)}
      onFocusTarget={onFocusTarget}
      issues={issues[name]}
      connection={connection}
    />
  );

  if (entries.length === 0) return <p className="small muted">This step takes no input.</p>;
  return (
    <div>
      {req.map(render)}
      {shown.map(render)}
      {opt.length > filledOptional.length && (
        <button type="button" className="link-button small" onClick={() => setShowOptional(!showOptional)}>
          {showOptional ? "Hide empty optional fields" : `Show ${opt.length - filledOptional.length} optional fields`}
        </button>
      )}
    </div>
  );
}
