/** What keeps the workflow from being switched on, checked by the server as it is edited. */
import { useEffect, useState } from "react";
import { api, type WorkflowDefinition } from "../../api.ts";

export interface Problem {
  path: string;
  message: string;
}

/** Messages of the problems found at a path of the workflow (`steps[0].input.name`). */
export type IssuesAt = (path: string) => string[];

/** The server's activation problems for `def`, re-checked a moment after each edit. */
export function useProblems(def: WorkflowDefinition): { problems: Problem[]; issuesAt: IssuesAt } {
  const [problems, setProblems] = useState<Problem[]>([]);
  useEffect(() => {
    if (!def.trigger.key || def.steps.length === 0) return setProblems([]);
    const timer = setTimeout(() => {
      api.workflows.validate(def).then(
        (r) => setProblems([...r.errors, ...r.problems]),
        () => undefined,
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [def]);
  const issuesAt: IssuesAt = (path) => problems.filter((p) => p.path === path).map((p) => p.message);
  return { problems, issuesAt };
}

/** Messages for each input field of the step at `base`, by field name. */
export function inputIssues(issuesAt: IssuesAt, base: string, schema: { properties?: Record<string, unknown> }) {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(schema.properties ?? {})) {
    const found = issuesAt(`${base}.input.${name}`);
    if (found.length > 0) out[name] = found;
  }
  return out;
}

/** One banner counting the problems; each is shown beside its field. */
export function ProblemsBanner({ problems }: { problems: Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <div className="notice info" role="status" aria-label="Problems">
      {problems.length === 1 ? "One thing" : `${problems.length} things`} to fix before this workflow can be switched on
      (it can be saved as it is); each is marked beside its field.
    </div>
  );
}

/** A field's problems under it, with the id its input points at (`aria-describedby`). */
export function FieldProblems({ id, issues }: { id: string; issues: string[] }) {
  if (issues.length === 0) return null;
  return (
    <div id={`${id}-error`} className="field-error small">
      {issues.join(" ")}
    </div>
  );
}

/** The attributes that mark an input invalid and point at its problems. */
export const invalidProps = (id: string, issues: string[]) =>
  issues.length > 0 ? { "aria-invalid": true as const, "aria-describedby": `${id}-error` } : {};
