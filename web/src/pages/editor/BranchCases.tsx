/** What a step holds inside it: a branch's cases and else, a loop's body over a list. */
import type { WorkflowStep } from "../../api.ts";
import { ConditionInput } from "./ConditionInput.tsx";
import { type PickScope, useEditor } from "./context.ts";
import type { Case } from "./model.ts";
import { NestedSteps } from "./StepList.tsx";

/** A branch runs the steps of its first case whose condition holds, else its else steps. */
export function BranchCases({
  step,
  onChange,
  path,
  scope,
}: {
  step: WorkflowStep;
  onChange: (step: WorkflowStep) => void;
  path: string;
  scope?: PickScope;
}) {
  const { onFocusTarget, issuesAt } = useEditor();
  const cases = (step.cases as Case[] | undefined) ?? [];
  const elseSteps = (step.else as WorkflowStep[] | undefined) ?? [];
  const setCases = (next: Case[]) => onChange({ ...step, cases: next });
  return (
    <div className="stack">
      {cases.map((c, j) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: cases have no identity of their own
        <fieldset key={j} className="card">
          <legend className="small muted">Case {j + 1}</legend>
          <ConditionInput
            id={`${step.id}-case-${j}`}
            label="When"
            value={c.if}
            onChange={(v) => setCases(cases.map((x, k) => (k === j ? { ...x, if: v } : x)))}
            onFocusTarget={(insert) => onFocusTarget(insert, scope)}
            issues={issuesAt(`${path}.cases[${j}].if`)}
          />
          <NestedSteps
            steps={c.steps}
            onSteps={(steps) => setCases(cases.map((x, k) => (k === j ? { ...x, steps } : x)))}
            label={`case ${j + 1}`}
            path={`${path}.cases[${j}].steps`}
            scope={scope}
          />
          <button type="button" className="link-button small" onClick={() => setCases(cases.filter((_, k) => k !== j))}>
            Remove case {j + 1}
          </button>
        </fieldset>
      ))}
      <button type="button" className="secondary small" onClick={() => setCases([...cases, { if: "", steps: [] }])}>
        + Add a case
      </button>
      <fieldset className="card">
        <legend className="small muted">Otherwise</legend>
        <NestedSteps
          steps={elseSteps}
          onSteps={(steps) => onChange({ ...step, else: steps.length > 0 ? steps : undefined })}
          label="otherwise"
          path={`${path}.else`}
          scope={scope}
        />
      </fieldset>
    </div>
  );
}

/**
 * A loop's body: the steps run once per item of its list. Inside, the data picker offers `item`
 * (shaped like the list's first sample element) and `index`.
 */
export function LoopBody({
  step,
  onChange,
  path,
  item,
}: {
  step: WorkflowStep;
  onChange: (step: WorkflowStep) => void;
  path: string;
  item: unknown;
}) {
  return (
    <fieldset className="card">
      <legend className="small muted">For each item</legend>
      <NestedSteps
        steps={(step.steps as WorkflowStep[] | undefined) ?? []}
        onSteps={(steps) => onChange({ ...step, steps })}
        label="each item"
        path={`${path}.steps`}
        scope={{ item }}
      />
    </fieldset>
  );
}
