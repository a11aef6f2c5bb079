/**
 * Where in a workflow a problem is, in the words and numbers the editor shows: the one formatter
 * the API (each issue's `where`), the CLI, the MCP tools and the web UI use for activation and
 * validation problems, so "Step 1 · Name is required" reads the same everywhere.
 */

/**
 * `steps[0].input.name` is "Step 1", `steps[1].cases[0].steps[2].if` "Step 2 · case 1 · step 3",
 * `steps[0].else[1]` "Step 1 · otherwise · step 2", anything under `trigger` "Trigger". Other
 * paths (a file's own fields: `name`) stay as they are.
 */
export function issuePlace(path: string): string {
  if (path === "trigger" || path.startsWith("trigger.") || path.startsWith("trigger[")) return "Trigger";
  if (!path.startsWith("steps[")) return path;
  const parts: string[] = [];
  for (const m of path.matchAll(/(steps|cases|else)\[(\d+)\]/g)) {
    const n = Number(m[2]) + 1;
    if (m[1] === "cases") parts.push(`case ${n}`);
    else if (m[1] === "else") parts.push("otherwise", `step ${n}`);
    else parts.push(parts.length === 0 ? `Step ${n}` : `step ${n}`);
  }
  return parts.join(" · ") || path;
}

/** A problem as one line: "Step 1 · Name is required" (the message alone when it has no place). */
export function issueLine(issue: { path: string; message: string }): string {
  return issue.path ? `${issuePlace(issue.path)} · ${issue.message}` : issue.message;
}

/** The issue with its place in words, as the API answers it (`where`). */
export function placed<T extends { path: string }>(issue: T): T & { where?: string } {
  return issue.path ? { ...issue, where: issuePlace(issue.path) } : issue;
}
