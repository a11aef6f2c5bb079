/** A sandbox Cliniko (demo clinic) plus a client on it, and the records the action tests build on. */
import { createClient } from "../../src/cliniko/client.ts";
import type { ClinikoClient } from "../../src/cliniko/types.ts";
import { type Row, type Sandbox, startSandbox } from "../../src/sandbox/index.ts";

export interface Fixture {
  sb: Sandbox;
  client: ClinikoClient;
  /** Live (not archived, not cancelled) rows of a collection. */
  live(collection: string): Row[];
  row(collection: string, id: string): Row | undefined;
  /** Requests the sandbox answered since the last `clearLog()`. */
  requests(): { method: string; path: string; query: string; status: number }[];
  clearLog(): void;
  /** Moves the sandbox clock on (so a change gets a later updated_at than what came before). */
  tick(seconds?: number): string;
  stop(): Promise<void>;
}

export async function openSandbox(): Promise<Fixture> {
  const sb = await startSandbox({ port: 0, rateLimit: 0, seed: "demo" });
  const client = createClient({
    apiKey: sb.apiKey,
    email: "tests@clinic.example",
    baseUrl: sb.baseUrl,
    rateLimit: false,
    retry: { retries: 0 },
  });
  const live = (c: string) =>
    sb.store.rows(c).filter((r) => r.archived_at == null && r.cancelled_at == null && r.deleted_at == null);
  return {
    sb,
    client,
    live,
    row: (c, id) => sb.store.get(c, id),
    requests: () => sb.requestLog.entries(),
    clearLog: () => sb.requestLog.clear(),
    tick(seconds = 5) {
      sb.control.clock({ advanceSeconds: seconds });
      return sb.clock.iso();
    },
    stop: () => sb.stop(),
  };
}

/** The first row matching `pred`, or a clear failure. */
export function pick(rows: Row[], pred: (r: Row) => boolean = () => true, what = "row"): Row {
  const r = rows.find(pred);
  if (!r) throw new Error(`The demo seed has no ${what}`);
  return r;
}
