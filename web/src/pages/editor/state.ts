/**
 * The editor's draft and its life on the server in one reducer: the definition being edited, the
 * stable keys of its step cards, and what saving, switching on and loading last said. A change the
 * server refused to switch on is kept there as the workflow's draft (`kept`): opening the workflow
 * loads it again, and Discard draft goes back to the version.
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
  /** The current version's number (what runs while it is switched on). */
  version?: number;
  /** The draft the server holds: what is shown instead of the version, and when it was kept. */
  kept?: { json: string; savedAt: string };
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
  /** Switching on was refused and the server kept `def` as the draft. */
  | { type: "keptDraft"; def: WorkflowDefinition; error: unknown }
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
      const { definition, draft } = a.view;
      const def = draft?.definition ?? definition;
      const stepKeys = def.steps.map((_, i) => s.nextKey + i);
      return {
        ...s,
        def,
        savedJson: JSON.stringify(definition),
        savedTrigger: definition.trigger.key,
        enabled: a.view.enabled,
        version: a.view.version,
        kept: draft ? { json: JSON.stringify(draft.definition), savedAt: draft.savedAt } : undefined,
        stepKeys,
        nextKey: s.nextKey + stepKeys.length,
        error: undefined,
        saved: undefined,
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
        version: a.view.version,
        // A saved version supersedes the draft (the server cleared it).
        kept: undefined,
      };
    case "saved":
      return { ...s, busy: false, enabled: a.enabled, saved: a.message };
    case "keptDraft":
      return {
        ...s,
        busy: false,
        error: a.error,
        kept: { json: JSON.stringify(a.def), savedAt: new Date().toISOString() },
      };
    case "failed":
      return { ...s, busy: false, error: a.error };
  }
}

/**
 * A refused switch-on in the editor's words: how many things to fix (the banner lists them) and
 * what became of the change — kept as the draft, or a new workflow saved off as version 1.
 */
function worded(error: unknown, def: WorkflowDefinition, before: Draft): unknown {
  if (!(error instanceof ApiError) || error.code !== "not_activatable") return error;
  const n = error.details.length;
  const outcome = error.draftKept
    ? `kept as a draft; ${before.enabled ? `version ${before.version} still runs` : "it stays off"}`
    : before.workflowId
      ? "it stays off"
      : "saved switched off as version 1";
  return new ApiError(error.status, {
    error: error.code,
    message: `${def.name || "This workflow"} cannot be switched on yet: ${n === 1 ? "one thing" : `${n} things`} to fix (${outcome}).`,
    details: error.details,
    draftKept: error.draftKept,
  });
}

function load(id: string, dispatch: (a: DraftAction) => void): Promise<void> {
  return api.workflows.get(id).then(
    (view) => dispatch({ type: "loaded", view }),
    (error) => dispatch({ type: "loadFailed", error }),
  );
}

/** The draft of workflow `id` (or a new one), loaded, saved, switched on or off, deleted. */
export function useDraft(id?: string) {
  const [draft, dispatch] = useReducer(draftReducer, id, initialDraft);
  // Typing the server holds (as the version or as the draft) is not lost by leaving.
  const json = JSON.stringify(draft.def);
  const dirty = json !== draft.savedJson && json !== draft.kept?.json;

  useEffect(() => {
    if (id) void load(id, dispatch);
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
      // A stored workflow is switched on in the same request as its change: refused, the server
      // keeps the change as the draft and makes no version. A new one is saved off first (version
      // 1, nothing live to protect), then switched on.
      const view = draft.workflowId
        ? await api.workflows.update(draft.workflowId, def, activate === true ? true : undefined)
        : await api.workflows.create(def);
      if (!draft.workflowId) window.history.replaceState(null, "", `#/workflows/${encodeURIComponent(view.id)}`);
      dispatch({ type: "stored", view, def });
      let on = view.enabled;
      if (activate === true && !on) on = (await api.workflows.enable(view.id)).enabled;
      if (activate === false) on = (await api.workflows.disable(view.id)).enabled;
      const message =
        activate === true
          ? "Saved and active: it now runs whenever its trigger fires."
          : activate === false
            ? "Saved and paused."
            : `Saved as version ${view.version}.`;
      dispatch({ type: "saved", enabled: on, message });
    } catch (error) {
      const said = worded(error, def, draft);
      dispatch(
        error instanceof ApiError && error.draftKept
          ? { type: "keptDraft", def, error: said }
          : { type: "failed", error: said },
      );
    }
  }

  /** Drops the server's draft and shows the current version again. */
  async function discardDraft(): Promise<void> {
    const { workflowId } = draft;
    if (!workflowId || !window.confirm("Discard the draft? The editor goes back to the saved version.")) return;
    try {
      await api.workflows.discardDraft(workflowId);
      await load(workflowId, dispatch);
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
  return { draft, dirty, dispatch, edit, save, remove, discardDraft };
}
