/**
 * The editor's draft and its life on the server in one reducer: the definition being edited, the
 * stable keys of its step cards, and what saving, switching on and loading last said.
 */
import { useEffect, useReducer } from "react";
import { ApiError, api, type WorkflowDefinition, type WorkflowStep, type WorkflowView } from "../../api.ts";
import { navigate } from "../../router.ts";
import { swap } from "./model.ts";

export interface Draft {
  workflowId?: string;
  def: WorkflowDefinition;
  /** The definition as last loaded or saved, to tell unsaved changes. */
  savedJson: string;
  /** The trigger key as last saved (the webhook URL exists only once saved). */
  savedTrigger?: string;
  enabled: boolean;
  /** Stable React keys for the top-level step cards, so moving a step keeps its form state. */
  stepKeys: number[];
  nextKey: number;
  busy: boolean;
  error?: unknown;
  loadError?: unknown;
  /** What the last save said ("Saved as version 3."). */
  saved?: string;
}

export type DraftAction =
  | { type: "loaded"; view: WorkflowView }
  | { type: "loadFailed"; error: unknown }
  | { type: "edit"; update: (def: WorkflowDefinition) => WorkflowDefinition }
  | { type: "addStep"; step: WorkflowStep }
  | { type: "removeStep"; index: number }
  | { type: "moveStep"; index: number; delta: number }
  | { type: "saving" }
  /** The definition is stored (switching on may still follow, and may still be refused). */
  | { type: "stored"; view: WorkflowView; def: WorkflowDefinition }
  | { type: "saved"; enabled: boolean; message: string }
  | { type: "failed"; error: unknown };

const empty: WorkflowDefinition = { name: "", trigger: { key: "", every: "1m" }, steps: [] };

export function initialDraft(id?: string): Draft {
  return {
    workflowId: id,
    def: empty,
    savedJson: JSON.stringify(empty),
    enabled: false,
    stepKeys: [],
    nextKey: 1,
    busy: false,
  };
}

export function draftReducer(s: Draft, a: DraftAction): Draft {
  switch (a.type) {
    case "loaded": {
      const def = a.view.definition;
      const stepKeys = def.steps.map((_, i) => s.nextKey + i);
      return {
        ...s,
        def,
        savedJson: JSON.stringify(def),
        savedTrigger: def.trigger.key,
        enabled: a.view.enabled,
        stepKeys,
        nextKey: s.nextKey + stepKeys.length,
      };
    }
    case "loadFailed":
      return { ...s, loadError: a.error };
    case "edit":
      return { ...s, def: a.update(s.def) };
    case "addStep":
      return {
        ...s,
        def: { ...s.def, steps: [...s.def.steps, a.step] },
        stepKeys: [...s.stepKeys, s.nextKey],
        nextKey: s.nextKey + 1,
      };
    case "removeStep":
      return {
        ...s,
        def: { ...s.def, steps: s.def.steps.filter((_, j) => j !== a.index) },
        stepKeys: s.stepKeys.filter((_, j) => j !== a.index),
      };
    case "moveStep":
      return {
        ...s,
        def: { ...s.def, steps: swap(s.def.steps, a.index, a.index + a.delta) },
        stepKeys: swap(s.stepKeys, a.index, a.index + a.delta),
      };
    case "saving":
      return { ...s, busy: true, error: undefined, saved: undefined };
    case "stored":
      return {
        ...s,
        workflowId: a.view.id,
        savedTrigger: a.view.definition.trigger.key,
        savedJson: JSON.stringify(a.def),
        enabled: a.view.enabled,
      };
    case "saved":
      return { ...s, busy: false, enabled: a.enabled, saved: a.message };
    case "failed":
      return { ...s, busy: false, error: a.error };
  }
}

/** The draft of workflow `id` (or a new one), loaded, saved, switched on or off, deleted. */
export function useDraft(id?: string) {
  const [draft, dispatch] = useReducer(draftReducer, id, initialDraft);
  const dirty = JSON.stringify(draft.def) !== draft.savedJson;

  useEffect(() => {
    if (!id) return;
    api.workflows.get(id).then(
      (view) => dispatch({ type: "loaded", view }),
      (error) => dispatch({ type: "loadFailed", error }),
    );
  }, [id]);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  /** Saves the draft; `activate` then switches it on (true) or off (false). */
  async function save(activate?: boolean): Promise<void> {
    const def = draft.def;
    dispatch({ type: "saving" });
    try {
      // A switch-on that would be refused saves nothing: no version that cannot run.
      if (activate === true) {
        const check = await api.workflows.validate(def);
        const issues = [...check.errors, ...check.problems];
        if (issues.length > 0) {
          const n = issues.length;
          throw new ApiError(422, {
            error: "not_activatable",
            message: `${def.name || "This workflow"} cannot be switched on yet: ${n === 1 ? "one thing" : `${n} things`} to fix (nothing was saved; Save keeps it as a draft).`,
            details: issues,
          });
        }
      }
      const view = draft.workflowId
        ? await api.workflows.update(draft.workflowId, def)
        : await api.workflows.create(def);
      if (!draft.workflowId) window.history.replaceState(null, "", `#/workflows/${encodeURIComponent(view.id)}`);
      dispatch({ type: "stored", view, def });
      let on = view.enabled;
      if (activate === true) on = (await api.workflows.enable(view.id)).enabled;
      if (activate === false) on = (await api.workflows.disable(view.id)).enabled;
      const message =
        activate === true
          ? "Saved and active: it now runs whenever its trigger fires."
          : activate === false
            ? "Saved and paused."
            : `Saved as version ${view.version}.`;
      dispatch({ type: "saved", enabled: on, message });
    } catch (error) {
      dispatch({ type: "failed", error });
    }
  }

  async function remove(): Promise<void> {
    const { workflowId, def } = draft;
    if (!workflowId || !window.confirm(`Delete the workflow "${def.name}"? Its run history stays.`)) return;
    try {
      await api.workflows.remove(workflowId);
      navigate("/workflows");
    } catch (error) {
      dispatch({ type: "failed", error });
    }
  }

  const edit = (update: (def: WorkflowDefinition) => WorkflowDefinition) => dispatch({ type: "edit", update });
  return { draft, dirty, dispatch, edit, save, remove };
}
