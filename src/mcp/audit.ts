/**
 * Every tool call, in the store's audit log: who, which tool, which connection, when and how it
 * ended. Never the arguments or the result (patient data), never the key: a failure is kept as
 * its one sentence (Cliniko's and our own say which call failed, not what was in it), and invalid
 * arguments as the names of the fields that were wrong.
 */
import { ActionInputError } from "../catalog/index.ts";
import { ClinikoError } from "../cliniko/errors.ts";
import type { Store } from "../store/index.ts";

/** The audit log's action for a tool call (its subject is the tool's name). */
export const TOOL_CALL_ACTION = "mcp.tool_call";

export type ToolOutcome = "ok" | "error" | "invalid" | "refused";

export interface ToolCallEntry {
  actor: string;
  tool: string;
  /** The connection's key (`default`, a stored name, `env:<fingerprint>`); null for tools without one. */
  connection: string | null;
  transport: "stdio" | "http";
  outcome: ToolOutcome;
  /** Why it did not succeed, safe to keep (see outcomeText). */
  reason?: string;
  durationMs: number;
}

/** What of a failure may be kept. */
export function reasonOf(err: unknown, safeMessage: (err: unknown) => boolean): string {
  if (err instanceof ActionInputError)
    return `invalid input: ${err.issues.map((i) => i.path || "(input)").join(", ") || "(input)"}`;
  if (err instanceof ClinikoError) return `${err.code}: ${err.message}`;
  if (safeMessage(err)) return (err as Error).message;
  return `failed (${(err as Error)?.name ?? "error"})`;
}

export async function auditToolCall(store: Store, entry: ToolCallEntry): Promise<void> {
  const { actor, tool, ...detail } = entry;
  await store.audit.record(actor, TOOL_CALL_ACTION, tool, detail);
}
