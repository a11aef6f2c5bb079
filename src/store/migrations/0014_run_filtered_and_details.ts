import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationEnv } from "./env.ts";

/**
 * Runs a filter stopped, and errors apart from their details:
 * - a run a filter step stopped ends `filtered`, no longer `succeeded`. Earlier such runs are found
 *   in their journal: the last step they ran, outside a loop's item (whose keys hold `[`: a filter
 *   there ends only the item), answered `{"passed":false}`, which only a filter that stopped the
 *   run does last. A run whose workflow keeps metadata only has no outputs left, so stays as it is;
 * - `runs.error_details` and `step_results.error_details`: what an error's one sentence leaves out
 *   (a 422's field list, a response body), as JSON, no longer appended to the sentence.
 */
export default function runFilteredAndDetails(_env: MigrationEnv): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("runs").addColumn("error_details", "text").execute();
      await db.schema.alterTable("step_results").addColumn("error_details", "text").execute();
      await sql`
        UPDATE runs SET status = 'filtered'
        WHERE status = 'succeeded' AND id IN (
          SELECT s.run_id FROM step_results s
          WHERE s.output = ${JSON.stringify({ passed: false })} AND s.step_id NOT LIKE '%[%'
            AND s.seq = (SELECT MAX(t.seq) FROM step_results t WHERE t.run_id = s.run_id))`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`UPDATE runs SET status = 'succeeded' WHERE status = 'filtered'`.execute(db);
      await db.schema.alterTable("step_results").dropColumn("error_details").execute();
      await db.schema.alterTable("runs").dropColumn("error_details").execute();
    },
  };
}
