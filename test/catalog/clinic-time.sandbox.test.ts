/**
 * Date-times written without an offset are the clinic's local time: the action turns them into
 * the UTC instant they name in the zone of the business (Cliniko's `time_zone_identifier`) before
 * the request, across daylight-saving changes, against the sandbox over real HTTP.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { action } from "../../src/catalog/index.ts";
import { createClient } from "../../src/cliniko/client.ts";
import { zonedToUtc } from "../../src/expressions/zone.ts";
import { type Fixture, openSandbox, pick } from "./support.ts";

describe("zonedToUtc (Intl arithmetic)", () => {
  it("reads a wall-clock time in the zone, each side of a daylight-saving change", () => {
    assert.equal(zonedToUtc("2026-12-01T09:00", "Australia/Sydney"), "2026-11-30T22:00:00Z"); // AEDT +11
    assert.equal(zonedToUtc("2026-06-01T09:00:00", "Australia/Sydney"), "2026-05-31T23:00:00Z"); // AEST +10
    assert.equal(zonedToUtc("2026-10-03T09:00", "Australia/Sydney"), "2026-10-02T23:00:00Z"); // the day before clocks go forward
    assert.equal(zonedToUtc("2026-10-04T09:00", "Australia/Sydney"), "2026-10-03T22:00:00Z"); // that morning
    assert.equal(zonedToUtc("2026-03-08T09:00", "America/New_York"), "2026-03-08T13:00:00Z"); // west of UTC, EDT
    assert.equal(zonedToUtc("2026-07-01T09:00:00.250", "Australia/Perth"), "2026-07-01T01:00:00.250Z");
  });

  it("a skipped time is read with the offset before the change; a repeated one is its first occurrence", () => {
    // 2026-10-04 02:00 AEST → 03:00 AEDT: 02:30 does not exist, it is 03:30 AEDT.
    assert.equal(zonedToUtc("2026-10-04T02:30", "Australia/Sydney"), "2026-10-03T16:30:00Z");
    // 2026-04-05 03:00 AEDT → 02:00 AEST: 02:30 happens twice; the first is at +11.
    assert.equal(zonedToUtc("2026-04-05T02:30", "Australia/Sydney"), "2026-04-04T15:30:00Z");
  });
});

describe("actions read an offset-less date-time in the clinic's time zone", () => {
  let fx: Fixture;
  before(async () => {
    fx = await openSandbox();
  });
  after(() => fx.stop());

  const booking = (values: Record<string, unknown>) => {
    const practitioner = pick(fx.live("practitioners"));
    return {
      patient_id: pick(fx.live("patients")).id,
      practitioner_id: practitioner.id,
      business_id: (practitioner.business_ids as string[])[0],
      appointment_type_id: pick(fx.live("appointment_types")).id,
      ...values,
    };
  };

  it("the field says so, and the input is accepted rather than refused", () => {
    const schema = action("create_individual_appointment").inputSchema as {
      properties: Record<string, { description?: string }>;
    };
    assert.match(
      schema.properties.starts_at!.description!,
      /a time zone is required.*write none \(2025-03-01T09:30\) to use the clinic's time zone/,
    );
    assert.ok(
      action("create_individual_appointment").input.safeParse(
        booking({ starts_at: "2026-12-01T09:00", ends_at: "2026-12-01T09:30" }),
      ).success,
    );
  });

  it("create and update land at the UTC instant of the business's local time, across the October change", async () => {
    const business = fx.live("businesses")[0]!;
    assert.equal(business.time_zone_identifier, "Australia/Sydney", "the demo clinic is in Sydney");
    const client = createClient({
      apiKey: fx.sb.apiKey,
      email: "t@clinic.example",
      baseUrl: fx.sb.baseUrl,
      rateLimit: false,
    });
    fx.clearLog();
    const made = (await action("create_individual_appointment").run(
      client,
      booking({ business_id: business.id, starts_at: "2026-10-03T09:00", ends_at: "2026-10-03T09:30" }),
    )) as { id: string };
    const row = () => fx.row("individual_appointments", made.id)!;
    assert.deepEqual([row().starts_at, row().ends_at], ["2026-10-02T23:00:00Z", "2026-10-02T23:30:00Z"]);
    // Moved to the Monday after clocks go forward: the same 09:00 on the diary is an hour earlier in UTC.
    await action("update_individual_appointment").run(client, { id: made.id, starts_at: "2026-10-05T09:00" });
    assert.deepEqual([row().starts_at, row().ends_at], ["2026-10-04T22:00:00Z", "2026-10-04T22:30:00Z"]);
    // A time with its offset is sent as given.
    await action("update_individual_appointment").run(client, { id: made.id, starts_at: "2026-10-05T09:00:00Z" });
    assert.equal(row().starts_at, "2026-10-05T09:00:00Z");
    const zoneLookups = fx.requests().filter((r) => r.method === "GET" && r.path.endsWith("/businesses"));
    assert.equal(zoneLookups.length, 1, "the clinic's zones are fetched once per connection");
  });

  it("the zone is the named business's; the first business's when the input names none", async () => {
    const [first, other] = fx.live("businesses");
    fx.sb.control.update("businesses", other!.id, { time_zone_identifier: "Australia/Perth" });
    const client = createClient({
      apiKey: fx.sb.apiKey,
      email: "t@clinic.example",
      baseUrl: fx.sb.baseUrl,
      rateLimit: false,
    });
    const perth = (await action("create_individual_appointment").run(
      client,
      booking({ business_id: other!.id, starts_at: "2026-12-01T09:00", ends_at: "2026-12-01T10:00" }),
    )) as { id: string };
    assert.equal(fx.row("individual_appointments", perth.id)!.starts_at, "2026-12-01T01:00:00Z");
    await action("update_individual_appointment").run(client, { id: perth.id, starts_at: "2026-12-02T09:00" });
    assert.equal(first!.time_zone_identifier, "Australia/Sydney");
    assert.equal(fx.row("individual_appointments", perth.id)!.starts_at, "2026-12-01T22:00:00Z");
  });

  it("a clinic whose businesses name no zone is told to give the offset, before any write", async () => {
    for (const b of fx.live("businesses")) fx.sb.control.update("businesses", b.id, { time_zone_identifier: null });
    const client = createClient({
      apiKey: fx.sb.apiKey,
      email: "t@clinic.example",
      baseUrl: fx.sb.baseUrl,
      rateLimit: false,
    });
    const before = fx.sb.store.rows("individual_appointments").length;
    await assert.rejects(
      action("create_individual_appointment").run(
        client,
        booking({ starts_at: "2026-12-01T09:00", ends_at: "2026-12-01T09:30" }),
      ),
      /Invalid input for create_individual_appointment: (starts_at|ends_at): has no time zone, and the clinic's businesses name none: add one, e\.g\. 2026-12-01T09:00:00\+11:00 \(and 1 more\)\./,
    );
    assert.equal(fx.sb.store.rows("individual_appointments").length, before);
  });
});
