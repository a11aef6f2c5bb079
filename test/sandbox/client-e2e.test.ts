/** The project's own client (src/cliniko) against the sandbox, end to end over HTTP. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "../../src/cliniko/client.ts";
import {
  ClinikoNotFoundError,
  ClinikoRateLimitError,
  ClinikoServerError,
  ClinikoValidationError,
} from "../../src/cliniko/errors.ts";
import type { ClinikoRecord } from "../../src/cliniko/types.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";

describe("cliniko client ↔ sandbox", () => {
  let sb: Sandbox;
  let client: ReturnType<typeof createClient>;
  before(async () => {
    sb = await startSandbox({ seed: "demo", rateLimit: 0 });
    client = createClient({
      apiKey: sb.apiKey,
      email: "e2e@clinic.example",
      baseUrl: sb.baseUrl,
      rateLimit: false,
      retry: { retries: 0 },
    });
  });
  after(() => sb.stop());

  it("tests the connection with GET /user and sends what Cliniko asks for", async () => {
    const r = await client.request<{ email: string }>({ method: "GET", path: "/user" });
    assert.equal(r.status, 200);
    assert.equal(r.body.email, "admin@clinic.example.com");
    const last = sb.requestLog.entries().at(-1)!;
    assert.equal(last.status, 200);
    assert.equal(last.keySuffix, "au1");
  });

  it("paginates a filtered list to the end, matching the sandbox's own count", async () => {
    const got: ClinikoRecord[] = [];
    for await (const p of client.resource("patients").all({ q: ["last_name:~o"] })) got.push(p);
    const expected = sb.store
      .rows("patients")
      .filter((p) => p.archived_at == null && String(p.last_name).toLowerCase().includes("o"));
    assert.ok(expected.length > 100, "spans several pages");
    assert.equal(got.length, expected.length);
    assert.equal(new Set(got.map((p) => p.id)).size, got.length);
  });

  it("creates, updates, archives and unarchives through the resource client", async () => {
    const patients = client.resource("patients");
    const made = await patients.create({ first_name: "Enid", last_name: "Oakridge", email: "enid@example.com" });
    assert.match(String(made.id), /^\d+$/);
    const updated = await patients.update(String(made.id), { occupation: "Beekeeper" });
    assert.equal(updated.occupation, "Beekeeper");
    await patients.archive(String(made.id));
    const page = await patients.list({ q: [`id:=${made.id}`] });
    assert.equal(page.records.length, 0);
    const back = await patients.unarchive(String(made.id));
    assert.equal(back.archived_at, null);
  });

  it("cancels an appointment and finds it again with cancelled_at:*", async () => {
    const appt = sb.store.rows("individual_appointments").find((a) => a.cancelled_at == null && a.archived_at == null)!;
    await client.resource("individual_appointments").cancel(appt.id, { cancellation_reason: 10 });
    const page = await client.resource("individual_appointments").list({ q: [`id:=${appt.id}`, "cancelled_at:*"] });
    assert.equal(page.records[0]?.cancellation_reason_description, "Feeling Better");
  });

  it("surfaces the sandbox's 422, 404, 5xx and 429 as the client's typed errors", async () => {
    await assert.rejects(client.resource("patients").create({ first_name: "" }), (err: unknown) => {
      assert.ok(err instanceof ClinikoValidationError);
      assert.ok("first_name" in err.fieldErrors && "last_name" in err.fieldErrors);
      return true;
    });
    await assert.rejects(client.resource("patients").get("1"), ClinikoNotFoundError);
    sb.control.addFault({ kind: "error", count: 1, status: 502 });
    await assert.rejects(client.resource("patients").list(), ClinikoServerError);
    sb.control.addFault({ kind: "rate-limit", count: 1, resetInSeconds: 30 });
    await assert.rejects(client.resource("patients").list(), (err: unknown) => {
      assert.ok(err instanceof ClinikoRateLimitError);
      assert.ok(err.resetAt.getTime() > Date.now() + 20_000);
      return true;
    });
  });
});
