/**
 * List Patients With Birthday against the demo sandbox over real HTTP: day-and-month matching
 * across years and pages, 29 February birthdays on 28 February in other years, and "today" taken
 * in the clinic's time zone (its first business's `time_zone_identifier`).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { birthdayDays } from "../../src/catalog/handlers.ts";
import { action } from "../../src/catalog/index.ts";
import { createClient } from "../../src/cliniko/client.ts";
import { dateIn } from "../../src/expressions/zone.ts";
import { type Fixture, openSandbox } from "./support.ts";

type Birthdays = { date: string; records: { id: string; date_of_birth: string }[]; total_entries: number };

describe("list_patients_with_birthday", () => {
  let fx: Fixture;
  const born = (dob: string, archived = false) =>
    fx.sb.control.create("patients", {
      first_name: "Born",
      last_name: dob,
      date_of_birth: dob,
      archived_at: archived ? "2025-01-01T00:00:00Z" : null,
    }).id;
  const client = () =>
    createClient({ apiKey: fx.sb.apiKey, email: "t@clinic.example", baseUrl: fx.sb.baseUrl, rateLimit: false });
  const run = async (input: Record<string, unknown>) =>
    (await action("list_patients_with_birthday").run(client(), input)) as Birthdays;

  before(async () => {
    fx = await openSandbox();
  });
  after(() => fx.stop());

  it("29 February birthdays fall on 28 February in years without one", () => {
    assert.deepEqual(birthdayDays("2027-02-28"), ["02-28", "02-29"]);
    assert.deepEqual(birthdayDays("2028-02-28"), ["02-28"]);
    assert.deepEqual(birthdayDays("2028-02-29"), ["02-29"]);
    assert.deepEqual(birthdayDays("2100-02-28"), ["02-28", "02-29"], "2100 is not a leap year");
  });

  it("lists the live patients born on that day and month in any year, from every page", async () => {
    const leapling = born("1992-02-29");
    const feb28 = born("1970-02-28");
    const archived = born("1980-02-28", true);
    const march1 = born("1985-03-01");
    const ids = async (date: string) => (await run({ date })).records.map((r) => r.id);
    const plain = await ids("2027-02-28");
    assert.ok(plain.includes(leapling) && plain.includes(feb28), "both on 28 February 2027");
    assert.ok(!plain.includes(archived) && !plain.includes(march1));
    const leap = await ids("2028-02-28");
    assert.ok(leap.includes(feb28) && !leap.includes(leapling), "a leap year keeps 29 February for its own");
    assert.ok((await ids("2028-02-29")).includes(leapling));
    const all = await run({ date: "2027-02-28" });
    const expected = fx
      .live("patients")
      .filter((p) => ["02-28", "02-29"].includes(String(p.date_of_birth).slice(5))).length;
    assert.equal(all.total_entries, expected);
    assert.ok(fx.live("patients").length > 100, "the clinic spans several pages of patients");
  });

  it("without a date, today is the clinic's: its first business's time zone", async () => {
    const first = fx.live("businesses")[0]!;
    // 25 hours apart: at any instant these two zones are on different dates.
    for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago"]) {
      fx.sb.control.update("businesses", first.id, { time_zone_identifier: zone });
      const [, month, day] = dateIn(zone, Date.now()).split("-");
      const id = born(`1999-${month}-${day}`);
      const result = await run({});
      assert.equal(result.date, dateIn(zone, Date.now()), zone);
      assert.ok(
        result.records.some((r) => r.id === id),
        `${zone}: the patient born on its today`,
      );
    }
    assert.notEqual(dateIn("Pacific/Kiritimati", Date.now()), dateIn("Pacific/Pago_Pago", Date.now()));
  });

  it("refuses a date that is not one, before any request", async () => {
    fx.clearLog();
    await assert.rejects(run({ date: "31/12/2026" }), /date: must be a date, YYYY-MM-DD/);
    assert.equal(fx.requests().length, 0);
  });
});
