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

export class WebhookTokens {
  readonly #db: Kysely<Database>;

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

  async workflowOf(token: string): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom("webhook_tokens")
      .select("workflow_id")
      .where("token", "=", token)
      .executeTakeFirst();
    return row?.workflow_id;
  }

  async remove(workflowId: number): Promise<void> {
    await this.#db.deleteFrom("webhook_tokens").where("workflow_id", "=", workflowId).execute();
  }
}
