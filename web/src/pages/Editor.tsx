/**
 * The workflow editor: a name, a trigger, steps (nested in branches and loops), the data picker
 * beside them. State lives in `editor/state.ts` (draft and saving) and `editor/testing.ts`.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError, api } from "../api.ts";
import { DataPicker } from "../components/DataPicker.tsx";
import type { InsertTarget } from "../components/SchemaForm.tsx";
import { Badge, ErrorNotice, PageHead, useLoad } from "../components/ui.tsx";
import { navigate } from "../router.ts";
import { EditorContext, type EditorTools, type PickScope } from "./editor/context.ts";
import { DraftNotice } from "./editor/DraftNotice.tsx";
import { flatten, loopItemSample, newStep } from "./editor/model.ts";
import { ProblemsBanner, useProblems } from "./editor/Problems.tsx";
import { StepList } from "./editor/StepList.tsx";
import { useDraft } from "./editor/state.ts";
import { TriggerPanel } from "./editor/TriggerPanel.tsx";
import { useTesting } from "./editor/testing.ts";

export function EditorPage({ id }: { id?: string }) {
  const catalog = useLoad(() => Promise.all([api.catalog.actions(), api.catalog.triggers(), api.connections.list()]));
  const [actions, triggers, connectionList] = catalog.data ?? [[], [], []];
  // Triggers and Cliniko steps pick among Cliniko connections; an app step among its kinds'.
  const connections = connectionList.filter((c) => c.kind === "cliniko").map((c) => c.name);
  const actionByKey = useMemo(() => new Map(actions.map((a) => [a.key, a])), [actions]);

  const { draft, dirty, dispatch, edit, save, remove, discardDraft } = useDraft(id);
  const { def, workflowId, enabled, busy } = draft;
  const { problems, issuesAt } = useProblems(def);
  const trigger = triggers.find((t) => t.key === def.trigger.key);
  const testing = useTesting({
    def,
    trigger,
    connections,
    actionByKey,
    onError: (error) => dispatch({ type: "failed", error }),
  });

  // A new workflow uses the first connection unless the user picks another.
  const polled = def.trigger.key !== "webhook" && def.trigger.key !== "schedule";
  const firstConnection = connections[0];
  // biome-ignore lint/correctness/useExhaustiveDependencies: `edit` only dispatches
  useEffect(() => {
    if (!id && polled && firstConnection !== undefined && def.trigger.connection === undefined)
      edit((d) => ({ ...d, trigger: { ...d.trigger, connection: firstConnection } }));
  }, [id, polled, firstConnection, def.trigger.connection]);

  // The field the data picker inserts into, and the names only it sees (a loop's item).
  const target = useRef<InsertTarget | undefined>(undefined);
  const [hasTarget, setHasTarget] = useState(false);
  const [scope, setScope] = useState<PickScope>();

  const sampleData = {
    trigger: testing.triggerSample ?? {},
    steps: Object.fromEntries(flatten(def.steps).map((s) => [s.id, testing.stepOutput(s)])),
  };
  const tools: EditorTools = {
    actions,
    actionByKey,
    connectionsFor: (a) => {
      const kinds = a?.connections ?? (a?.connection ? [a.connection] : ["cliniko"]);
      return connectionList.filter((c) => kinds.includes(c.kind)).map((c) => c.name);
    },
    outputs: testing.outputs,
    testStep: (step) => void testing.testStep(step),
    onFocusTarget: (insert, s) => {
      target.current = insert;
      setHasTarget(true);
      setScope(s);
    },
    issuesAt,
    newStep: (key) => newStep(key, actionByKey.get(key), def),
    itemOf: (step, outer) => loopItemSample(step, { ...sampleData, ...(outer ? { item: outer.item } : {}) }),
  };

  if (draft.loadError) return <ErrorNotice error={draft.loadError} />;
  const summary = testing.summary;
  return (
    <EditorContext.Provider value={tools}>
      <p>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            if (!dirty || window.confirm("Leave without saving? Your changes to this workflow will be lost."))
              navigate("/workflows");
          }}
        >
          ← All workflows
        </button>
        {dirty && <span className="small muted"> · Unsaved changes</span>}
      </p>
      <PageHead title={def.name || "New workflow"} subtitle={enabled ? "Active" : "Not active"}>
        <Badge status={enabled ? "on" : "off"} />
        <button type="button" className="secondary" onClick={() => save()} disabled={busy}>
          Save
        </button>
        <button
          type="button"
          className="secondary"
          onClick={testing.testWorkflow}
          disabled={busy || summary === "testing" || def.steps.length === 0 || !def.trigger.key}
          title="Runs every step once on the trigger's sample data, for real, without storing a run"
        >
          {summary === "testing" ? "Testing…" : "Test workflow"}
        </button>
        {enabled ? (
          <button type="button" className="secondary" onClick={() => save(false)} disabled={busy}>
            Pause
          </button>
        ) : (
          <button type="button" onClick={() => save(true)} disabled={busy}>
            Save and activate
          </button>
        )}
        {workflowId && (
          <button type="button" className="danger" onClick={remove}>
            Delete
          </button>
        )}
      </PageHead>
      <ErrorNotice error={catalog.error ?? draft.error} />
      {summary && summary !== "testing" && (
        <div className={`notice ${summary.ok ? "ok" : "error"}`} role="status">
          {summary.text}
        </div>
      )}
      {draft.saved && (
        <div className="notice ok" role="status">
          {draft.saved}
        </div>
      )}
      {draft.kept && (
        <DraftNotice
          savedAt={draft.kept.savedAt}
          enabled={enabled}
          version={draft.version}
          busy={busy}
          onDiscard={() => void discardDraft()}
        />
      )}
      {/* A refusal that lists the fields already says what the count would: one banner, not two. */}
      {!(draft.error instanceof ApiError && draft.error.details.length > 0) && <ProblemsBanner problems={problems} />}
      <div className="editor">
        <div>
          <section className="card">
            <div className="field">
              <label htmlFor="wf-name">Workflow name</label>
              <input
                id="wf-name"
                value={def.name}
                placeholder="Flag new patients for intake"
                onChange={(e) => edit((d) => ({ ...d, name: e.target.value }))}
              />
            </div>
            <label className="row small">
              <input
                type="checkbox"
                checked={!def.metadataOnly}
                onChange={(e) => edit((d) => ({ ...d, metadataOnly: e.target.checked ? undefined : true }))}
              />{" "}
              Keep run data: each run's step inputs and outputs stay in its record (off: only times and outcomes, for
              health data you would rather not keep)
            </label>
          </section>
          <TriggerPanel
            def={def}
            onChange={(t) => edit((d) => ({ ...d, trigger: t }))}
            triggers={triggers}
            connections={connections}
            workflowId={workflowId}
            savedTrigger={draft.savedTrigger}
            sampleInfo={testing.sampleInfo}
            onRefetch={testing.loadLiveSample}
          />
          <StepList
            steps={def.steps}
            keys={draft.stepKeys}
            path="steps"
            label="Add a step"
            connectors
            onChange={(i, step) => edit((d) => ({ ...d, steps: d.steps.map((s, j) => (j === i ? step : s)) }))}
            onRemove={(index) => dispatch({ type: "removeStep", index })}
            onMove={(index, delta) => dispatch({ type: "moveStep", index, delta })}
            onAdd={(key) => dispatch({ type: "addStep", step: tools.newStep(key) })}
          />
        </div>
        <DataPicker
          trigger={testing.triggerSample}
          steps={flatten(def.steps).map((s) => [s.id, testing.stepOutput(s)])}
          scope={scope}
          hasTarget={hasTarget}
          onPick={(ref) => target.current?.(ref)}
        />
      </div>
    </EditorContext.Provider>
  );
}
