/** One step: what it does, its name, connection, condition, input form, nested steps and test result. */
import type { WorkflowStep } from "../../api.ts";
import { Picker } from "../../components/Picker.tsx";
import { SchemaForm } from "../../components/SchemaForm.tsx";
import { BranchCases, LoopBody } from "./BranchCases.tsx";
import { ConditionInput } from "./ConditionInput.tsx";
import { ConnectionField } from "./ConnectionField.tsx";
import { type PickScope, useEditor } from "./context.ts";
import { inputIssues } from "./Problems.tsx";
import { StepResult } from "./StepResult.tsx";

export function StepCard({
  index,
  path,
  step,
  scope,
  onChange,
  onRemove,
  onMove,
}: {
  index: number;
  /** Where the step sits in the file (`steps[1]`), for its problems. */
  path: string;
  step: WorkflowStep;
  scope?: PickScope;
  onChange: (step: WorkflowStep) => void;
  onRemove: () => void;
  onMove: (delta: number) => void;
}) {
  const { actions, actionByKey, connectionsFor, outputs, testStep, onFocusTarget, issuesAt, itemOf } = useEditor();
  const action = actionByKey.get(step.action);
  const output = outputs[step.id];
  const focus = (insert: Parameters<typeof onFocusTarget>[0]) => onFocusTarget(insert, scope);
  // What the step kind declares in the registry decides the card, never its name.
  const usesConnection = Boolean(action?.connection);
  const stops = action?.effects?.includes("stop") ?? false;
  const nests = action?.nests;
  const kind = stops || nests ? "flow-control" : "";
  return (
    <section className={`card step-card ${kind}`} aria-label={`Step ${index + 1}: ${step.id}`}>
      <div className="card-head">
        <h2>
          <span className="step-num">{index + 1}</span>
          {action?.title ?? "Choose what this step does"}
        </h2>
        <div className="row">
          <button type="button" className="secondary small" onClick={() => onMove(-1)} aria-label="Move step up">
            ↑
          </button>
          <button type="button" className="secondary small" onClick={() => onMove(1)} aria-label="Move step down">
            ↓
          </button>
          <button type="button" className="danger small" onClick={onRemove}>
            Remove
          </button>
        </div>
      </div>
      <Picker
        label="Action"
        items={actions}
        value={step.action || undefined}
        onPick={(key) => onChange({ ...step, action: key, input: {} })}
        placeholder="Search: medical alert, patient, filter, http…"
      />
      {action && (
        <>
          <div className="grid-2">
            <div className="field">
              <label htmlFor={`id-${path}`}>
                Step name <span className="hint">(used in references: steps.{step.id})</span>
              </label>
              <input
                id={`id-${path}`}
                value={step.id}
                onChange={(e) => onChange({ ...step, id: e.target.value.replace(/[^A-Za-z0-9_]/g, "_") })}
              />
            </div>
            {usesConnection && (
              <ConnectionField
                id={`conn-${path}`}
                value={step.connection}
                connections={connectionsFor(action)}
                onChange={(connection) => onChange({ ...step, connection })}
                issues={issuesAt(`${path}.connection`)}
              />
            )}
          </div>
          {!stops && (
            <ConditionInput
              id={`if-${path}`}
              label={
                <>
                  Only run if <span className="hint">(optional condition, e.g. {"{{ trigger.email != null }}"})</span>
                </>
              }
              value={step.if ?? ""}
              placeholder=""
              onChange={(v) => onChange({ ...step, if: v || undefined })}
              onFocusTarget={focus}
              issues={issuesAt(`${path}.if`)}
            />
          )}
          {nests !== "cases" && (
            <>
              <h3>Input</h3>
              <SchemaForm
                key={step.action}
                schema={action.inputSchema}
                value={(step.input ?? {}) as Record<string, unknown>}
                onChange={(input) => onChange({ ...step, input })}
                onFocusTarget={focus}
                issues={inputIssues(issuesAt, path, action.inputSchema)}
              />
            </>
          )}
          <div className="row" style={{ marginTop: "0.75rem" }}>
            <button type="button" className="secondary" onClick={() => testStep(step)} disabled={output === "testing"}>
              {output === "testing" ? "Testing…" : "Test this step"}
            </button>
            {usesConnection && <span className="small muted">Runs for real against the step's connection.</span>}
          </div>
          {nests === "cases" && <BranchCases step={step} onChange={onChange} path={path} scope={scope} />}
          {nests === "steps" && <LoopBody step={step} onChange={onChange} path={path} item={itemOf(step, scope)} />}
          {output && output !== "testing" && <StepResult stepId={step.id} output={output} />}
        </>
      )}
    </section>
  );
}
