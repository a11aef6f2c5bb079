/** What every step card needs from the editor, shared through context instead of ten props per level. */
import { createContext, useContext } from "react";
import type { CatalogAction, StepTestResult, WorkflowStep } from "../../api.ts";
import type { InsertTarget } from "../../components/SchemaForm.tsx";
import type { IssuesAt } from "./Problems.tsx";

export interface EditorTools {
  actions: CatalogAction[];
  actionByKey: Map<string, CatalogAction>;
  /** Names of the stored connections a step kind can use. */
  connectionsFor: (kind?: CatalogAction) => string[];
  outputs: Record<string, StepTestResult | "testing">;
  testStep: (step: WorkflowStep) => void;
  /** Makes a field the data picker's target; `scope` adds names only that field sees (a loop's item). */
  onFocusTarget: (insert: InsertTarget, scope?: PickScope) => void;
  issuesAt: IssuesAt;
  newStep: (key: string) => WorkflowStep;
  /** A sample of the item a loop step goes over (from its list's sample), for the picker inside it. */
  itemOf: (step: WorkflowStep, outer?: PickScope) => unknown;
}

/** Names the data picker offers inside a loop body: the current item (from the list's sample) and its index. */
export interface PickScope {
  item: unknown;
}

export const EditorContext = createContext<EditorTools | undefined>(undefined);

export function useEditor(): EditorTools {
  const tools = useContext(EditorContext);
  if (!tools) throw new Error("useEditor outside the editor");
  return tools;
}
