/**
 * One field of a generated form: its label in words (the schema's title, else its key humanised),
 * then a record picker (`x-pick-from`), a list of its fixed choices (an enum, a yes/no), or a text
 * input or area that accepts `{{ }}` references from the data picker.
 */
import { useId, useRef, useState } from "react";
import { fieldTitle } from "../../../src/cliniko/labels.ts";
import type { JsonSchema } from "../api.ts";
import { fromText, isLongText, isTemplate, pickFrom, toText, typeOf } from "./field-text.ts";
import { RecordPicker } from "./RecordPicker.tsx";

/** What the data picker needs to insert a `{{ }}` reference where the user's cursor was. */
export type InsertTarget = (text: string) => void;

export function FieldInput({
  name,
  schema,
  required,
  value,
  onChange,
  onFocusTarget,
  issues = [],
  connection,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
  onFocusTarget: (insert: InsertTarget) => void;
  /** What keeps this field from running, shown beside it (the activation check's messages). */
  issues?: string[];
  /** The Cliniko connection whose records a field marked x-pick-from offers. */
  connection?: string;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const invalid = issues.length > 0;
  const a11y = invalid ? { "aria-invalid": true, "aria-describedby": errorId } : {};
  const problem = invalid ? (
    <div id={errorId} className="field-error small">
      {issues.join(" ")}
    </div>
  ) : null;
  const type = typeOf(schema);
  const [text, setText] = useState(toText(value));
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const alternatives = schema.anyOf ?? schema.oneOf ?? [];
  const enumValues =
    schema.enum ??
    alternatives.flatMap(
      (a) => a.enum ?? ((a as { const?: unknown }).const !== undefined ? [(a as { const?: unknown }).const] : []),
    );
  // Coded values show their names ("12 — Memo").
  const codeNames = ((schema as Record<string, unknown>)["x-enum-labels"] ??
    alternatives.map((a) => (a as Record<string, unknown>)["x-enum-labels"]).find(Boolean)) as
    | Record<string, string>
    | undefined;
  // A stored `{{ }}` value in a choice or picker field stays editable as the text it is.
  const [useTemplate] = useState(isTemplate(value));

  const update = (next: string) => {
    setText(next);
    onChange(fromText(next, schema));
  };
  const focus = () =>
    onFocusTarget((insert) => {
      const el = ref.current;
      const current = el?.value ?? text;
      const start = el?.selectionStart ?? current.length;
      const end = el?.selectionEnd ?? current.length;
      update(current.slice(0, start) + insert + current.slice(end));
      requestAnimationFrame(() => {
        el?.focus();
        el?.setSelectionRange(start + insert.length, start + insert.length);
      });
    });

  // The key stays reachable on hover (it is what references and files use), never as the label.
  const label = (
    <label htmlFor={id} id={`${id}-label`} title={name}>
      {fieldTitle(name, schema)}
      {required && (
        <span className="req" title="required">
          *<span className="sr-only"> (required)</span>
        </span>
      )}
    </label>
  );
  const hint = schema.description ? <div className="hint small muted">{schema.description}</div> : null;

  const pick = pickFrom(schema);
  if (pick && connection !== undefined && !useTemplate)
    return (
      <div className="field">
        {label}
        <RecordPicker
          id={id}
          labelId={`${id}-label`}
          resource={pick.resource}
          connection={connection}
          multiple={pick.multiple}
          value={value}
          onChange={onChange}
          invalid={a11y}
        />
        {problem}
        {hint}
      </div>
    );

  const choice = enumValues.length > 0 || type === "boolean";
  if (choice && !useTemplate) {
    const options = enumValues.length > 0 ? enumValues.map(String) : ["true", "false"];
    return (
      <div className="field">
        {label}
        <select id={id} name={name} value={text} onChange={(e) => update(e.target.value)} required={required} {...a11y}>
          <option value="">{schema.default !== undefined ? `— default: ${String(schema.default)} —` : "—"}</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {codeNames?.[o] ? `${o} — ${codeNames[o]}` : o}
            </option>
          ))}
        </select>
        {problem}
        {hint}
      </div>
    );
  }
  const multiline = isLongText(name, schema);
  const structured = type === "object" || type === "array";
  return (
    <div className="field">
      {label}
      {multiline ? (
        <textarea
          id={id}
          name={name}
          ref={ref}
          value={text}
          onFocus={focus}
          className={structured ? "json" : "prose"}
          rows={structured ? 4 : 1}
          onChange={(e) => update(e.target.value)}
          placeholder={type === "array" ? "[ ]" : type === "object" ? "{ }" : undefined}
          {...a11y}
        />
      ) : (
        <input
          id={id}
          name={name}
          ref={ref}
          value={text}
          // A secret (writeOnly) is typed, never shown: the server stores it encrypted and never returns it.
          {...(schema.writeOnly ? { type: "password", autoComplete: "off" } : {})}
          onFocus={focus}
          onChange={(e) => update(e.target.value)}
          placeholder={
            schema.format === "date-time" || schema["x-clinic-time"]
              ? "2025-01-31T09:00 (clinic time), …Z or {{ … }}"
              : schema.format === "date"
                ? "2025-01-31"
                : undefined
          }
          {...a11y}
        />
      )}
      {problem}
      {hint}
    </div>
  );
}
