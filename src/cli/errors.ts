/** A mistake in how the command was called: exit code 2, message on stderr. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Prints an error the way every verb does: one sentence, then detail when there is some. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  const e = err as { message?: string; detail?: unknown; exitCode?: number };
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (e?.detail !== undefined && e.detail !== "") {
    const detail = typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail, null, 2);
    process.stderr.write(`${detail}\n`);
  }
  if (process.env.LOG_LEVEL === "debug" && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return typeof e?.exitCode === "number" ? e.exitCode : 1;
}
