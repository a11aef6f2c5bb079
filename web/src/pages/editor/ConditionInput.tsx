import { type ReactNode, useRef } from "react";
import type { InsertTarget } from "../../components/SchemaForm.tsx";
import { FieldProblems, invalidProps } from "./Problems.tsx";

/** A `{{ }}` condition (a step's "only run if", a branch case's "when"), a data picker target. */
export function ConditionInput({
  id,
  label,
  value,
  onChange,
  onFocusTarget,
  issues = [],
  placeholder = "{{ trigger.email != null }}",
}: {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (v: string) => void;
  onFocusTarget: (insert: InsertTarget) => void;
  issues?: string[];
  placeholder?: string;
}) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={ref}
        value={value}
        {...invalidProps(id, issues)}
        placeholder={placeholder}
        onFocus={() =>
          onFocusTarget((text) => {
            const el = ref.current;
            const cur = el?.value ?? "";
            const at = el?.selectionStart ?? cur.length;
            onChange(cur.slice(0, at) + text + cur.slice(el?.selectionEnd ?? at));
          })
        }
        onChange={(e) => onChange(e.target.value)}
      />
      <FieldProblems id={id} issues={issues} />
    </div>
  );
}
