/**
 * A flag trigger (arrived, did not arrive) fires once per record when its flag is set. Cliniko
 * keeps no time of its own for a flag, so a record flagged long ago and edited after the trigger
 * was switched on looks like a new flag. When a workflow with a flag trigger is switched on, its
 * first poll reads the records flagged before that moment (with the list's own filter on the flag
 * where Cliniko has one, else every record, once) and records them as seen for that workflow.
 * Reads go through the connection's client, so they count in the key's budget.
 */
import { eventField, isFlagEvent, stampOf, stateFiltersOf, type TriggerRecord } from "../catalog/index.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { Store } from "../store/index.ts";
import type { PollTarget } from "./poller.ts";

const floorToSecond = (t: string) => new Date(Math.floor(Date.parse(t) / 1000) * 1000).toISOString();

/** Snapshots the flagged records for each flag target whose activation has none yet. */
export async function snapshotFlags(
  targets: readonly PollTarget[],
  deps: {
    store: Store;
    client: ClinikoClient;
    connectionKey: string;
    pollKey: string;
    /**
     * The pair's seen floor (ms): every event stamped before it has been handled by earlier polls,
     * so a workflow switched on long ago (before this snapshot existed) records what those polls
     * handled too, and a record that fired then does not fire again when edited.
     */
    handledBefore?: number;
  },
): Promise<void> {
  for (const t of targets) {
    if (!isFlagEvent(t.trigger)) continue;
    const activatedAt = t.workflow.activatedAt;
    if (!activatedAt) continue;
    if (await deps.store.due.snapshotDone(t.workflow.id, activatedAt)) continue;
    // A backfill asks for history: its own start is the moment before which flags are old.
    const since = t.workflow.backfillFrom
      ? Date.parse(t.workflow.backfillFrom)
      : Math.max(Date.parse(activatedAt), deps.handledBefore ?? Number.NEGATIVE_INFINITY);
    const before = floorToSecond(new Date(since).toISOString()).replace(".000Z", "Z");
    const field = eventField(t.trigger.resource, t.trigger.event);
    const keys: { eventKey: string; eventTime: string }[] = [];
    for (const list of t.trigger.lists) {
      const q = [`updated_at:<${before}`, ...stateFiltersOf(t.trigger.resource)];
      if ("flag" in field && list.filters?.[field.flag] === "boolean") q.push(`${field.flag}:=${field.value}`);
      for await (const page of deps.client.pagesOf<TriggerRecord>(list, { q, perPage: 100 }))
        for (const record of page.records) {
          const at = stampOf(record, t.trigger);
          if (record.id === undefined || !at) continue;
          keys.push({ eventKey: t.trigger.identity(record), eventTime: new Date(Date.parse(at)).toISOString() });
        }
    }
    await deps.store.due.recordSnapshot({
      workflowId: t.workflow.id,
      activatedAt,
      connectionKey: deps.connectionKey,
      pollKey: deps.pollKey,
      keys,
    });
  }
}
