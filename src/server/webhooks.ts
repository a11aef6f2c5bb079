/**
 * Inbound webhooks: each workflow whose trigger is `webhook` gets an unguessable URL,
 * `/hooks/<token>`, that other apps POST to. The token is the credential (like a chat app's
 * incoming-webhook URL): the sender needs no login, and rotating the token revokes the old URL.
 * The token is kept as it is, not hashed, because the editor shows the URL again; it grants one
 * thing only, queueing a run of that one workflow. Its table comes from the store's migrations.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.ts";
import { Statement } from "../store/statements.ts";

export const WEBHOOK_PREFIX = "/hooks/";

/** What a run's `trigger` holds when a webhook fires (the editor's sample has the same shape). */
export interface WebhookEvent {
  body: unknown;
  query: Record<string, unknown>;
  receivedAt: string;
}

export const WEBHOOK_SAMPLE: WebhookEvent = {
  body: { email: "jo@example.com", first_name: "Jo", source: "website form" },
  query: {},
  receivedAt: "2025-03-03T09:00:00.000Z",
};

/** What a post to a token needs to know about its workflow, read in one query. */
export interface HookTarget {
  workflowId: number;
  version: number;
  /** The workflow's name and whether it keeps metadata only (a run started at once needs them). */
  name: string;
  metadataOnly: boolean;
  enabled: boolean;
  pausedReason: string | null;
  /** The definition's trigger key and `trigger.options`. */
  trigger: { key: string; options?: Record<string, unknown> };
}

/** Every post reads this: SQL written once (see store/statements.ts), not built per post. */
const TARGET = new Statement<{
  id: number;
  version: number;
  name: string;
  metadata_only: number;
  enabled: number;
  paused_reason: string | null;
}>(`
  SELECT workflows.id, workflows.version, workflows.name, workflows.metadata_only, workflows.enabled,
    workflows.paused_reason
  FROM webhook_tokens INNER JOIN workflows ON workflows.id = webhook_tokens.workflow_id
  WHERE webhook_tokens.token = ?`);

/** Most trigger outlines kept (one per workflow version posted to). */
const OUTLINES_KEPT = 500;

export class WebhookTokens {
  readonly #db: Kysely<Database>;
  /**
   * Trigger outlines by `id:version`: a version's definition never changes (any change is a new
   * version), so a busy webhook does not parse its workflow's definition for every post.
   */
  readonly #outlines = new Map<string, HookTarget["trigger"]>();

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The workflow's token, created on first use. */
  async tokenFor(workflowId: number): Promise<string> {
    const row = await this.#db
      .selectFrom("webhook_tokens")
      .select("token")
      .where("workflow_id", "=", workflowId)
      .executeTakeFirst();
    return row?.token ?? this.rotate(workflowId);
  }

  /** A new token; the old URL stops working at once. */
  async rotate(workflowId: number): Promise<string> {
    const token = `whk_${randomBytes(24).toString("base64url")}`;
    await this.#db.deleteFrom("webhook_tokens").where("workflow_id", "=", workflowId).execute();
    await this.#db
      .insertInto("webhook_tokens")
      .values({ workflow_id: workflowId, token, created_at: new Date().toISOString() })
      .execute();
    return token;
  }

  /** The workflow behind `token` with its state now; undefined for an unknown token. */
  async target(token: string): Promise<HookTarget | undefined> {
    const [row] = (await TARGET.run(this.#db, [token])).rows;
    if (!row) return undefined;
    const key = `${row.id}:${row.version}`;
    let trigger = this.#outlines.get(key);
    if (!trigger) {
      const def = await this.#db
        .selectFrom("workflows")
        .select(["definition", "version"])
        .where("id", "=", row.id)
        .executeTakeFirst();
      if (!def) return undefined;
      const parsed = JSON.parse(def.definition) as { trigger?: { key?: unknown; options?: Record<string, unknown> } };
      trigger = {
        key: typeof parsed?.trigger?.key === "string" ? parsed.trigger.key : "",
        options: parsed?.trigger?.options,
      };
      if (this.#outlines.size >= OUTLINES_KEPT) this.#outlines.clear();
      this.#outlines.set(`${row.id}:${def.version}`, trigger);
      if (def.version !== row.version) return this.target(token); // saved in between: read again
    }
    return {
      workflowId: row.id,
      version: row.version,
      name: row.name,
      metadataOnly: row.metadata_only === 1,
      enabled: row.enabled === 1,
      pausedReason: row.paused_reason,
      trigger,
    };
  }

  async remove(workflowId: number): Promise<void> {
    await this.#db.deleteFrom("webhook_tokens").where("workflow_id", "=", workflowId).execute();
  }
}
