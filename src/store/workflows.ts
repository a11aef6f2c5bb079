import type { Kysely } from "kysely";
import type { AuditLog } from "./audit.ts";
import type { Database, WorkflowsTable } from "./schema.ts";
import { isoNow } from "./time.ts";

/** JSON with every object's keys sorted, undefined members dropped: equal for equal values. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** A stored workflow. `definition` is the validated model (engine/workflow.ts) as plain JSON. */
export interface StoredWorkflow {
  id: number;
  name: string;
  version: number;
  definition: unknown;
  enabled: boolean;
  metadataOnly: boolean;
  activatedAt: string | null;
  backfillFrom: string | null;
  pausedReason: string | null;
  /** The definition kept when switching it on was refused: never run, never a version. */
  draft: WorkflowDraft | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowDraft {
  definition: unknown;
  savedAt: string;
}

export class WorkflowNotFoundError extends Error {
  override name = "WorkflowNotFoundError";
}

function fromRow(r: Omit<WorkflowsTable, "id"> & { id: number }): StoredWorkflow {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    definition: JSON.parse(r.definition),
    enabled: r.enabled === 1,
    metadataOnly: r.metadata_only === 1,
    activatedAt: r.activated_at,
    backfillFrom: r.backfill_from,
    pausedReason: r.paused_reason,
    draft:
      r.draft_definition !== null && r.draft_saved_at !== null
        ? { definition: JSON.parse(r.draft_definition), savedAt: r.draft_saved_at }
        : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface SaveOptions {
  enabled?: boolean;
  /** Backfill: on activation, treat events since then as new instead of starting from now. */
  since?: string;
  actor?: string;
}

export class WorkflowStore {
  readonly #db: Kysely<Database>;
  readonly #audit: AuditLog;
  constructor(db: Kysely<Database>, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /**
   * Creates the workflow or, when its definition changed, stores a new version (runs keep the
   * version they ran). Saving an unchanged definition is a no-op apart from the flags. Either way
   * the draft goes: what is saved now supersedes what was typed before.
   */
  async save(name: string, definition: unknown, options: SaveOptions = {}): Promise<StoredWorkflow> {
    const json = JSON.stringify(definition);
    const now = isoNow();
    const actor = options.actor ?? "system";
    const enabled = options.enabled ?? true;
    // The flag is part of the definition (API, CLI, MCP, editor and export all carry it there);
    // the column mirrors it so the runner and the run listings read it without parsing.
    const metadataOnly = (definition as { metadataOnly?: unknown } | null)?.metadataOnly === true;
    const saved = await this.#db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom("workflows").selectAll().where("name", "=", name).executeTakeFirst();
      if (!existing) {
        const row = await trx
          .insertInto("workflows")
          .values({
            name,
            version: 1,
            definition: json,
            enabled: enabled ? 1 : 0,
            metadata_only: metadataOnly ? 1 : 0,
            activated_at: enabled ? now : null,
            backfill_from: enabled && options.since ? options.since : null,
            paused_reason: null,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto("workflow_versions")
          .values({ workflow_id: row.id, version: 1, definition: json, created_at: now })
          .execute();
        return { row, change: "created" };
      }
      // The same definition with its keys in another order (a template's YAML order, then the
      // API's schema order) is no change: no new version, and the stored bytes stay as they were.
      const changed =
        existing.definition !== json && canonical(JSON.parse(existing.definition)) !== canonical(definition);
      const version = changed ? existing.version + 1 : existing.version;
      const activating = enabled && existing.enabled !== 1;
      const row = await trx
        .updateTable("workflows")
        .set({
          version,
          definition: changed ? json : existing.definition,
          enabled: enabled ? 1 : 0,
          metadata_only: metadataOnly ? 1 : 0,
          activated_at: activating ? now : existing.activated_at,
          backfill_from: options.since ?? (activating ? null : existing.backfill_from),
          paused_reason: enabled ? null : existing.paused_reason,
          draft_definition: null,
          draft_saved_at: null,
          updated_at: now,
        })
        .where("id", "=", existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (changed)
        await trx
          .insertInto("workflow_versions")
          .values({ workflow_id: existing.id, version, definition: json, created_at: now })
          .execute();
      const switched = existing.enabled === row.enabled ? undefined : enabled ? "enabled" : "disabled";
      return { row, change: changed ? "updated" : "unchanged", switched };
    });
    if (saved.change !== "unchanged")
      await this.#audit.record(actor, `workflow.${saved.change}`, name, { version: saved.row.version });
    // Switched on or off with a save (the editor's Save and activate): logged as setEnabled logs it.
    if ("switched" in saved && saved.switched)
      await this.#audit.record(actor, `workflow.${saved.switched}`, name, null);
    return fromRow(saved.row);
  }

  async list(): Promise<StoredWorkflow[]> {
    return (await this.#db.selectFrom("workflows").selectAll().orderBy("name").execute()).map(fromRow);
  }

  async listActive(): Promise<StoredWorkflow[]> {
    return (
      await this.#db
        .selectFrom("workflows")
        .selectAll()
        .where("enabled", "=", 1)
        .where("paused_reason", "is", null)
        .orderBy("id")
        .execute()
    ).map(fromRow);
  }

  async find(nameOrId: string | number): Promise<StoredWorkflow | undefined> {
    const q = this.#db.selectFrom("workflows").selectAll();
    const row = await (typeof nameOrId === "number"
      ? q.where("id", "=", nameOrId)
      : q.where("name", "=", nameOrId)
    ).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async get(nameOrId: string | number): Promise<StoredWorkflow> {
    const w = await this.find(nameOrId);
    if (!w) throw new WorkflowNotFoundError(`No workflow named "${nameOrId}" (see \`cliniko-flow workflows list\`).`);
    return w;
  }

  /** The definition a given version had. */
  async definitionAt(workflowId: number, version: number): Promise<unknown> {
    const row = await this.#db
      .selectFrom("workflow_versions")
      .select("definition")
      .where("workflow_id", "=", workflowId)
      .where("version", "=", version)
      .executeTakeFirst();
    if (!row) throw new WorkflowNotFoundError(`Workflow ${workflowId} has no version ${version}.`);
    return JSON.parse(row.definition);
  }

  /** Every stored version, newest first. */
  async versions(workflowId: number): Promise<{ version: number; definition: unknown; createdAt: string }[]> {
    const rows = await this.#db
      .selectFrom("workflow_versions")
      .selectAll()
      .where("workflow_id", "=", workflowId)
      .orderBy("version", "desc")
      .execute();
    return rows.map((r) => ({ version: r.version, definition: JSON.parse(r.definition), createdAt: r.created_at }));
  }

  /**
   * Keeps `definition` as the workflow's draft (replacing an earlier one) when it could not be
   * switched on: the typing is not lost, and the current version, live or not, stays as it was.
   */
  async keepDraft(id: number, definition: unknown, actor = "system"): Promise<StoredWorkflow> {
    const w = await this.get(id);
    await this.#db
      .updateTable("workflows")
      .set({ draft_definition: JSON.stringify(definition), draft_saved_at: isoNow() })
      .where("id", "=", id)
      .execute();
    await this.#audit.record(actor, "workflow.draft_kept", w.name, { version: w.version });
    return this.get(id);
  }

  /** Drops the workflow's draft; false when it had none. */
  async discardDraft(id: number, actor = "system"): Promise<boolean> {
    const w = await this.get(id);
    if (!w.draft) return false;
    await this.#db
      .updateTable("workflows")
      .set({ draft_definition: null, draft_saved_at: null })
      .where("id", "=", id)
      .execute();
    await this.#audit.record(actor, "workflow.draft_discarded", w.name, null);
    return true;
  }

  /** Gives a workflow a new name; its id, versions, cursor and runs stay with it. */
  async rename(id: number, name: string, actor = "system"): Promise<StoredWorkflow> {
    const w = await this.get(id);
    if (w.name === name) return w;
    await this.#db.updateTable("workflows").set({ name, updated_at: isoNow() }).where("id", "=", id).execute();
    await this.#audit.record(actor, "workflow.renamed", name, { from: w.name });
    return this.get(id);
  }

  /** Enables (from now, or from `since`) or disables; enabling clears a pause. */
  async setEnabled(name: string, enabled: boolean, options: { since?: string; actor?: string } = {}) {
    const w = await this.get(name);
    const now = isoNow();
    const activating = enabled && (!w.enabled || w.pausedReason !== null);
    await this.#db
      .updateTable("workflows")
      .set({
        enabled: enabled ? 1 : 0,
        paused_reason: null,
        activated_at: activating && !w.enabled ? now : w.activatedAt,
        backfill_from: enabled ? (options.since ?? w.backfillFrom) : null,
        updated_at: now,
      })
      .where("id", "=", w.id)
      .execute();
    await this.#audit.record(options.actor ?? "system", enabled ? "workflow.enabled" : "workflow.disabled", name, null);
    return this.get(w.id);
  }

  /**
   * Gives a workflow the start point its polls need without enabling it (`run --once`): keeps an
   * earlier activation time, else now, and sets or clears the backfill start.
   */
  async markActivated(id: number, since?: string): Promise<StoredWorkflow> {
    await this.#db
      .updateTable("workflows")
      .set((eb) => ({ activated_at: eb.fn.coalesce("activated_at", eb.val(isoNow())), backfill_from: since ?? null }))
      .where("id", "=", id)
      .execute();
    return this.get(id);
  }

  /** Pauses workflows with a reason people will read (e.g. a rejected API key). */
  async pause(ids: number[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable("workflows")
      .set({ paused_reason: reason, updated_at: isoNow() })
      .where("id", "in", ids)
      .where("paused_reason", "is", null)
      .execute();
    for (const id of ids) await this.#audit.record("engine", "workflow.paused", String(id), { reason });
  }

  async remove(name: string, actor = "system"): Promise<boolean> {
    const res = await this.#db.deleteFrom("workflows").where("name", "=", name).executeTakeFirst();
    const removed = Number(res.numDeletedRows) > 0;
    if (removed) await this.#audit.record(actor, "workflow.removed", name, null);
    return removed;
  }
}
