/** Errors the catalogue raises itself (Cliniko's own errors come from src/cliniko/errors.ts). */

export interface InputIssue {
  /** Dotted path of the field (`first_name`, `q.0`), or "" for the input as a whole. */
  path: string;
  message: string;
}

/** The input of an action is invalid: detected before any request is sent (CLI exit code 2). */
export class ActionInputError extends Error {
  override name = "ActionInputError";
  readonly exitCode = 2;
  readonly action: string;
  readonly issues: InputIssue[];
  /** Printed by the CLI under the message, one issue a line: the ones the message does not name already. */
  readonly detail: string;
  constructor(action: string, issues: InputIssue[]) {
    const first = issues[0];
    const summary = first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : "invalid input";
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(`Invalid input for ${action}: ${summary}${more}.`);
    this.action = action;
    this.issues = issues;
    // The message names the first issue; repeating it below would print it twice.
    this.detail = issues
      .slice(1)
      .map((i) => `  ${i.path || "(input)"}: ${i.message}`)
      .join("\n");
  }
}

/** Cliniko refused a request the API does not offer (e.g. writing concession prices). */
export class ActionUnsupportedError extends Error {
  override name = "ActionUnsupportedError";
  readonly exitCode = 1;
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

export class UnknownCatalogKeyError extends Error {
  override name = "UnknownCatalogKeyError";
  constructor(kind: "action" | "trigger", key: string, suggestion?: string) {
    super(`Unknown ${kind} "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}.`);
  }
}
