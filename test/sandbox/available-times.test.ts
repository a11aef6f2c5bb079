import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { api } from "./helpers.ts";

describe("available times", () => {
  let sb: Sandbox;
  let path: string;
  let ids: { business: string; practitioner: string; type: string };
  before(async () => {
    // Monday 2026-03-02, 08:00 UTC.
    sb = await startSandbox({ seed: "empty", rateLimit: 0, clock: { now: "2026-03-02T08:00:00Z", frozen: true } });
    const business = sb.control.create("businesses", {});
    const practitioner = sb.control.create("practitioners", { active: true, business_ids: [business.id] });
    const type = sb.control.create("appointment_types", { duration_in_minutes: 60, max_attendees: 1 });
    ids = { business: business.id, practitioner: practitioner.id, type: type.id };
    path = `/businesses/${business.id}/practitioners/${practitioner.id}/appointment_types/${type.id}`;
  });
  after(() => sb.stop());

  const times = async (from: string, to: string) => {
    const r = await api(sb, "GET", `${path}/available_times?from=${from}&to=${to}&per_page=100`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.available_times.map((t: { appointment_start: string }) => t.appointment_start) as string[];
  };

  it("offers back-to-back slots 09:00–17:00 UTC on weekdays", async () => {
    const monday = await times("2026-03-02", "2026-03-02");
    assert.equal(monday.length, 8);
    assert.equal(monday[0], "2026-03-02T09:00:00Z");
    assert.equal(monday.at(-1), "2026-03-02T16:00:00Z");
    assert.deepEqual(await times("2026-03-07", "2026-03-08"), [], "weekend closed");
  });

  it("removes booked and unavailable time, adds availability blocks", async () => {
    sb.control.create("individual_appointments", {
      practitioner_id: ids.practitioner,
      business_id: ids.business,
      starts_at: "2026-03-03T10:30:00Z",
      ends_at: "2026-03-03T11:00:00Z",
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
    });
    sb.control.create("unavailable_blocks", {
      practitioner_id: ids.practitioner,
      business_id: ids.business,
      starts_at: "2026-03-03T12:00:00Z",
      ends_at: "2026-03-03T14:00:00Z",
      archived_at: null,
      deleted_at: null,
    });
    sb.control.create("availability_blocks", {
      practitioner_id: ids.practitioner,
      business_id: ids.business,
      starts_at: "2026-03-07T09:00:00Z",
      ends_at: "2026-03-07T11:00:00Z",
    });
    const tuesday = await times("2026-03-03", "2026-03-03");
    assert.deepEqual(tuesday, [
      "2026-03-03T09:00:00Z",
      "2026-03-03T11:00:00Z",
      "2026-03-03T14:00:00Z",
      "2026-03-03T15:00:00Z",
      "2026-03-03T16:00:00Z",
    ]);
    assert.deepEqual(await times("2026-03-07", "2026-03-07"), ["2026-03-07T09:00:00Z", "2026-03-07T10:00:00Z"]);
  });

  it("next_available_time gives the first free slot", async () => {
    sb.clock.set("2026-03-02T15:30:00Z");
    const r = await api(sb, "GET", `${path}/next_available_time?from=2026-03-02&to=2026-03-03`);
    assert.equal(r.status, 200);
    assert.equal(r.body.appointment_start, "2026-03-02T16:00:00Z");
    assert.equal(r.body.total_entries, 1);
    assert.ok(r.body.links.self.startsWith(sb.baseUrl));
    sb.clock.set("2026-03-02T08:00:00Z");
  });

  it("requires from and to, at most 7 days apart, not in the past (422), and known ids (404)", async () => {
    for (const query of [
      "",
      "?from=2026-03-02",
      "?from=2026-03-02&to=2026-03-10",
      "?from=2026-03-01&to=2026-03-02",
      "?from=x&to=y",
    ]) {
      const r = await api(sb, "GET", `${path}/available_times${query}`);
      assert.equal(r.status, 422, query);
      assert.ok(r.body.errors, query);
    }
    assert.equal((await api(sb, "GET", `${path}/available_times?from=2026-03-02&to=2026-03-09`)).status, 200);
    const unknown = path.replace(ids.type, "123");
    assert.equal((await api(sb, "GET", `${unknown}/available_times?from=2026-03-02&to=2026-03-03`)).status, 404);
  });
});
