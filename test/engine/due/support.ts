/** What the real-time due tests share: a whole-second stamp, a workflow's runs, waiting, on-time checks. */
import assert from "node:assert/strict";
import type { RunRecord, StoredWorkflow } from "../../../src/store/index.ts";
import { type Harness, sleep } from "../helpers.ts";

/** A time as Cliniko stamps it: whole seconds, no milliseconds. */
export const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** A workflow's runs, oldest first. */
export async function runsOf(h: Harness, w: StoredWorkflow): Promise<RunRecord[]> {
  return (await h.store.runs.list({ workflowId: w.id })).reverse();
}

export async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(250);
  }
}

/** Each run queued at or after its due time and within 60 s of it. */
export function assertOnTime(runs: RunRecord[]) {
  for (const r of runs) {
    const due = Date.parse((r.triggerPayload as { due_at: string }).due_at);
    const queued = Date.parse(r.createdAt);
    assert.ok(queued >= due - 1000, `${r.eventKey} queued ${queued - due} ms before its due time`);
    assert.ok(queued - due <= 60_000, `${r.eventKey} queued ${queued - due} ms after its due time`);
  }
}
