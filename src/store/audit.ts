import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";
import { isoNow } from "./time.ts";

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
}

/** Who changed connections and workflows, and when. Details never carry secrets. */
export class AuditLog {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(actor: string, action: string, subject: string, detail: unknown): Promise<void> {
    await this.#db
      .insertInto("audit_log")
      .values({ at: isoNow(), actor, action, subject, detail: detail == null ? null : JSON.stringify(detail) })
      .execute();
  }

  async list(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.#db.selectFrom("audit_log").selectAll().orderBy("id", "desc").limit(limit).execute();
    return rows.map((r) => ({ ...r, detail: r.detail ? JSON.parse(r.detail) : null }));
  }
}
