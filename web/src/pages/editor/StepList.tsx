/** A list of step cards (the workflow's, a branch case's, a loop's body) and the button adding one. */
import { useState } from "react";
import type { CatalogAction, WorkflowStep } from "../../api.ts";
import { Picker } from "../../components/Picker.tsx";
import type { PickScope } from "./context.ts";
import { useEditor } from "./context.ts";
import { swap } from "./model.ts";
import { StepCard } from "./StepCard.tsx";

export function StepList({
  steps,
  keys,
  path,
  label,
  scope,
  onChange,
  onRemove,
  onMove,
  onAdd,
  connectors = false,
}: {
  steps: WorkflowStep[];
  /** Stable keys per card; nested lists, being short, key by position and action. */
  keys?: number[];
  /** Where the list sits in the definition (`steps`, `steps[2].cases[0].steps`). */
  path: string;
  label: string;
  scope?: PickScope;
  onChange: (index: number, step: WorkflowStep) => void;
  onRemove: (index: number) => void;
  onMove: (index: number, delta: number) => void;
  onAdd: (action: string) => void;
  connectors?: boolean;
}) {
  const { actions } = useEditor();
  return (
    <div className={connectors ? undefined : "stack"}>
      {steps.map((step, i) => (
        <div key={keys?.[i] ?? `${i}-${step.action}`}>
          {connectors && <div className="connector" aria-hidden="true" />}
          <StepCard
            index={i}
            path={`${path}[${i}]`}
            step={step}
            scope={scope}
            onChange={(s) => onChange(i, s)}
            onRemove={() => onRemove(i)}
            onMove={(delta) => onMove(i, delta)}
          />
        </div>
      ))}
      {connectors && <div className="connector" aria-hidden="true" />}
      <AddStep actions={actions} label={label} onAdd={onAdd} />
    </div>
  );
}

/** Steps held inside another step (a case, an else, a loop body), edited in place as one list. */
export function NestedSteps({
  steps,
  onSteps,
  label,
  path,
  scope,
}: {
  steps: WorkflowStep[];
  onSteps: (steps: WorkflowStep[]) => void;
  label: string;
  path: string;
  scope?: PickScope;
}) {
  const { newStep } = useEditor();
  return (
    <StepList
      steps={steps}
      path={path}
      label={`Add a step to ${label}`}
      scope={scope}
      onChange={(j, c) => onSteps(steps.map((x, k) => (k === j ? c : x)))}
      onRemove={(j) => onSteps(steps.filter((_, k) => k !== j))}
      onMove={(j, delta) => onSteps(swap(steps, j, j + delta))}
      onAdd={(key) => onSteps([...steps, newStep(key)])}
    />
  );
}

function AddStep({ actions, label, onAdd }: { actions: CatalogAction[]; label: string; onAdd: (key: string) => void }) {
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <button type="button" className="secondary" onClick={() => setOpen(true)} style={{ width: "100%" }}>
        + {label}
      </button>
    );
  return (
    <section className="card" aria-label="New step">
      <Picker
        label={label}
        items={actions}
        onPick={(key) => {
          onAdd(key);
          setOpen(false);
        }}
        placeholder="Search: medical alert, patient, filter, http…"
      />
      <button type="button" className="link-button small" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </section>
  );
}
