/** Cliniko's protocol as the sandbox speaks it, over raw HTTP: auth, User-Agent, paging, q[], sort, errors. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { api, authHeaders, q, rawGet } from "./helpers.ts";

describe("sandbox protocol", () => {
  let sb: Sandbox;
  const ids: Record<string, string> = {};
  before(async () => {
    sb = await startSandbox({ seed: "empty", rateLimit: 0, clock: { now: "2026-03-02T08:00:00Z", frozen: true } });
    const people = [
      ["Ada", "Ashdown", "ada@example.com", "1980-05-14", true],
      ["Bea", "Brightwater", "bea@example.org", "1992-11-02", false],
      ["Cal", "Calloway", null, "1975-05-30", true],
      ["Dot", "Ashdown", "dot.ashdown@example.com", null, null],
    ] as const;
    for (const [first, last, email, dob, privacy] of people) {
      const r = await api(sb, "POST", "/patients", {
        first_name: first,
        last_name: last,
        email,
        date_of_birth: dob,
        accepted_privacy_policy: privacy,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids[first] = r.body.id;
      sb.clock.advance(60_000);
    }
  });
  after(() => sb.stop());

  describe("authentication and User-Agent", () => {
    it("rejects a missing or unknown key with 401", async () => {
      const none = await api(sb, "GET", "/patients", undefined, { "User-Agent": "t (t@example.com)" });
      assert.equal(none.status, 401);
      assert.match(none.headers.get("www-authenticate") ?? "", /Basic/);
      assert.equal((await api(sb, "GET", "/patients", undefined, authHeaders("nope-au1"))).status, 401);
      assert.ok(none.body.message);
    });

    it("rejects a missing or blank User-Agent with 400 and a message that says why", async () => {
      // fetch always sends a User-Agent of its own, so these go through node:http.
      const { "User-Agent": _ua, ...noUa } = authHeaders(sb.apiKey);
      const missing = await rawGet(`${sb.baseUrl}/patients`, noUa);
      assert.equal(missing.status, 400);
      assert.match(JSON.parse(missing.body).message, /User-Agent/);
      const blank = await rawGet(`${sb.baseUrl}/patients`, { ...noUa, "User-Agent": " " });
      assert.equal(blank.status, 400);
      const ok = await rawGet(`${sb.baseUrl}/patients`, authHeaders(sb.apiKey));
      assert.equal(ok.status, 200);
    });

    it("GET /user answers with the key's user", async () => {
      const r = await api(sb, "GET", "/user");
      assert.equal(r.status, 200);
      assert.equal(r.body.role, "administrator");
      assert.equal(r.body.links.self, `${sb.baseUrl}/users/${r.body.id}`);
    });
  });

  describe("errors", () => {
    it("404 for unknown ids and routes, in one JSON shape", async () => {
      for (const path of ["/patients/999", "/nothing_here", "/patients/1/unknown"]) {
        const r = await api(sb, "GET", path);
        assert.equal(r.status, 404, path);
        assert.equal(typeof r.body.message, "string");
      }
      assert.equal((await api(sb, "PATCH", "/patients/999", { first_name: "X" })).status, 404);
    });

    it("422 with every field's problem: required, type, enum, length, format, unknown linked id", async () => {
      const r = await api(sb, "POST", "/patients", {
        first_name: "",
        last_name: 7,
        reminder_type: "Pigeon",
        address_1: "x".repeat(300),
        date_of_birth: "14/05/1980",
        concession_type_id: "12345",
        favourite_colour: "ignored",
      });
      assert.equal(r.status, 422);
      assert.equal(typeof r.body.message, "string");
      assert.deepEqual(Object.keys(r.body.errors).sort(), [
        "address_1",
        "concession_type_id",
        "date_of_birth",
        "first_name",
        "last_name",
        "reminder_type",
      ]);
    });

    it("422 for a date-time without a time zone and for an appointment ending before it starts", async () => {
      const r = await api(sb, "POST", "/unavailable_blocks", {
        business_id: "1",
        practitioner_id: "1",
        starts_at: "2026-03-03T09:00:00",
        ends_at: "2026-03-03T08:00:00Z",
      });
      assert.equal(r.status, 422);
      assert.match(r.body.errors.starts_at, /time zone/);
    });

    it("an update cannot blank a required field", async () => {
      const r = await api(sb, "PATCH", `/patients/${ids.Ada}`, { last_name: " " });
      assert.equal(r.status, 422);
      assert.ok(r.body.errors.last_name);
    });

    it("a malformed JSON body is a 400", async () => {
      const res = await fetch(`${sb.baseUrl}/patients`, {
        method: "POST",
        headers: { ...authHeaders(sb.apiKey), "Content-Type": "application/json" },
        body: "{nope",
      });
      assert.equal(res.status, 400);
    });
  });

  describe("q[] filters, by operand type", () => {
    const cases: [filter: string[], expected: string[]][] = [
      [["last_name:=Ashdown"], ["Ada", "Dot"]],
      [["last_name:!=Ashdown"], ["Bea", "Cal"]],
      [["email:~EXAMPLE.COM"], ["Ada", "Dot"]],
      [["email:~~%.org"], ["Bea"]],
      [["first_name:~~_a%"], []],
      [["email:?"], ["Ada", "Bea", "Dot"]],
      [["email:!?"], ["Cal"]],
      [["date_of_birth:=****-05-**"], ["Ada", "Cal"]],
      [["date_of_birth:>1980-05-14"], ["Bea"]],
      [["date_of_birth:<=1980-05-14"], ["Ada", "Cal"]],
      [["created_at:>2026-03-02T08:01:00Z"], ["Cal", "Dot"]],
      [["created_at:>=2026-03-02T08:01:00Z"], ["Bea", "Cal", "Dot"]],
      [["created_at:<2026-03-02T08:01:00Z"], ["Ada"]],
      [
        ["created_at:<=2026-03-02T08:01:00Z", "last_name:~a"],
        ["Ada", "Bea"],
      ],
      [["accepted_privacy_policy:=true"], ["Ada", "Cal"]],
      [["accepted_privacy_policy:!=true"], ["Bea", "Dot"]],
    ];
    for (const [filters, expected] of cases) {
      it(`${filters.join(" & ")} → ${expected.join(", ") || "nothing"}`, async () => {
        const r = await api(sb, "GET", `/patients?${q(...filters)}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const names = r.body.patients.map((p: { first_name: string }) => p.first_name).sort();
        assert.deepEqual(names, expected);
        assert.equal(r.body.total_entries, expected.length);
      });
    }

    it("numeric = takes a list, and ids compare as int64", async () => {
      const r = await api(sb, "GET", `/patients?${q(`id:=${ids.Ada},${ids.Cal}`)}`);
      assert.deepEqual(r.body.patients.map((p: { id: string }) => p.id).sort(), [ids.Ada, ids.Cal].sort());
      const gt = await api(sb, "GET", `/patients?${q(`id:>${ids.Bea}`)}`);
      assert.deepEqual(
        gt.body.patients.map((p: { first_name: string }) => p.first_name),
        ["Cal", "Dot"],
      );
    });

    it("array ~ (contains) on a group appointment's patient_ids", async () => {
      const type = sb.control.create("appointment_types", { name: "Class", duration_in_minutes: 60, max_attendees: 5 });
      const group = sb.control.create("group_appointments", {
        appointment_type_id: type.id,
        starts_at: "2026-03-04T09:00:00Z",
        ends_at: "2026-03-04T10:00:00Z",
      });
      sb.control.create("attendees", {
        booking_id: group.id,
        patient_id: ids.Bea,
        cancelled_at: null,
        archived_at: null,
      });
      const hit = await api(sb, "GET", `/group_appointments?${q(`patient_ids:~${ids.Bea}`)}`);
      assert.deepEqual(
        hit.body.group_appointments.map((g: { id: string }) => g.id),
        [group.id],
      );
      const miss = await api(sb, "GET", `/group_appointments?${q(`patient_ids:~${ids.Ada}`)}`);
      assert.equal(miss.body.total_entries, 0);
    });

    it("rejects what Cliniko rejects with 400 and a message naming the filter", async () => {
      const bad = [
        "created_at:=2026-03-02T08:00:00Z", // no = on date-time
        "shoe_size:=9", // not in the q[] table
        "email:>a", // no > on strings
        "accepted_privacy_policy:=maybe",
        "id:=abc",
        "created_at:>yesterday",
        "first_name",
        "email:?x",
      ];
      for (const f of bad) {
        const r = await api(sb, "GET", `/patients?${q(f)}`);
        assert.equal(r.status, 400, f);
        assert.ok(r.body.message.includes(f.split(":")[0]!), `${f}: ${r.body.message}`);
      }
    });
  });

  describe("sort", () => {
    const order = async (query: string) =>
      (await api(sb, "GET", `/patients?${query}`)).body.patients.map((p: { first_name: string }) => p.first_name);

    it("defaults to created_at ascending, and sorts by fields and directions", async () => {
      assert.deepEqual(await order(""), ["Ada", "Bea", "Cal", "Dot"]);
      assert.deepEqual(await order("sort=created_at:desc"), ["Dot", "Cal", "Bea", "Ada"]);
      assert.deepEqual(await order("sort=last_name,first_name:desc"), ["Dot", "Ada", "Bea", "Cal"]);
      assert.deepEqual(await order("sort=email"), ["Ada", "Bea", "Dot", "Cal"]); // nulls last
    });

    it("rejects an unknown sort field with 400", async () => {
      assert.equal((await api(sb, "GET", "/patients?sort=shoe_size")).status, 400);
      assert.equal((await api(sb, "GET", "/patients?sort=first_name:sideways")).status, 400);
    });
  });

  describe("archive, unarchive and hidden rows", () => {
    it("archive hides a record from lists; archived_at:* and archived_at:? bring it back; unarchive restores", async () => {
      const { body: p } = await api(sb, "POST", "/patients", { first_name: "Eve", last_name: "Ellery" });
      assert.equal((await api(sb, "POST", `/patients/${p.id}/archive`)).status, 204);
      const listed = async (query: string) =>
        (await api(sb, "GET", `/patients?per_page=100&${query}`)).body.patients.some(
          (x: { id: string }) => x.id === p.id,
        );
      assert.equal(await listed(""), false);
      assert.equal(await listed(q("archived_at:*")), true);
      assert.equal(await listed(q("archived_at:?")), true);
      assert.equal(await listed(q("archived_at:!?")), false);
      const one = await api(sb, "GET", `/patients/${p.id}`);
      assert.ok(one.body.archived_at, "a record is still found by id, with archived_at set");
      const back = await api(sb, "POST", `/patients/${p.id}/unarchive`);
      assert.equal(back.status, 200);
      assert.equal(back.body.archived_at, null);
      assert.equal(await listed(""), true);
    });

    it("the deprecated DELETE alias archives too", async () => {
      const { body: p } = await api(sb, "POST", "/patients", { first_name: "Fay", last_name: "Fenwick" });
      assert.equal((await api(sb, "DELETE", `/patients/${p.id}`)).status, 204);
      assert.ok((await api(sb, "GET", `/patients/${p.id}`)).body.archived_at);
    });

    it("a hard delete removes the record", async () => {
      const pr = sb.control.create("practitioners", { active: true });
      const b = sb.control.create("businesses", {});
      const r = await api(sb, "POST", "/practitioner_reference_numbers", {
        practitioner_id: pr.id,
        business_id: b.id,
        reference_number: "123",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal((await api(sb, "DELETE", `/practitioner_reference_numbers/${r.body.id}`)).status, 204);
      assert.equal((await api(sb, "GET", `/practitioner_reference_numbers/${r.body.id}`)).status, 404);
      assert.equal(sb.store.get("practitioner_reference_numbers", r.body.id), undefined);
    });
  });

  describe("cancel", () => {
    it("cancels an individual appointment and its attendee, hiding both until cancelled_at:*", async () => {
      const b = sb.control.create("businesses", {});
      const pr = sb.control.create("practitioners", { active: true, business_ids: [b.id] });
      const type = sb.control.create("appointment_types", { duration_in_minutes: 30, max_attendees: 1 });
      const made = await api(sb, "POST", "/individual_appointments", {
        appointment_type_id: type.id,
        business_id: b.id,
        practitioner_id: pr.id,
        patient_id: ids.Ada,
        starts_at: "2026-03-05T10:00:00+10:00",
        ends_at: "2026-03-05T10:30:00+10:00",
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(made.body.starts_at, "2026-03-05T00:00:00Z", "stored in UTC");
      assert.equal(made.body.patient_name, "Ada Ashdown");
      const id = made.body.id;
      assert.equal(
        (await api(sb, "PATCH", `/individual_appointments/${id}/cancel`, {})).status,
        422,
        "reason required",
      );
      sb.clock.advance(5_000);
      const r = await api(sb, "PATCH", `/individual_appointments/${id}/cancel`, {
        cancellation_reason: 30,
        cancellation_note: "Flu",
      });
      assert.equal(r.status, 204);
      const one = await api(sb, "GET", `/individual_appointments/${id}`);
      assert.equal(one.body.cancelled_at, sb.clock.iso());
      assert.equal(one.body.cancellation_reason_description, "Sick");
      assert.equal(one.body.updated_at, sb.clock.iso());
      const list = await api(sb, "GET", "/individual_appointments");
      assert.equal(list.body.total_entries, 0);
      const cancelled = await api(sb, "GET", `/individual_appointments?${q(`cancelled_at:>=${made.body.created_at}`)}`);
      assert.equal(cancelled.body.total_entries, 1);
      const attendees = await api(sb, "GET", `/attendees?${q(`booking_id:=${id}`, "cancelled_at:*")}`);
      assert.equal(attendees.body.attendees[0].cancellation_reason, 30);
      const bookings = await api(sb, "GET", `/bookings?${q("cancelled_at:*", `patient_ids:~${ids.Ada}`)}`);
      assert.equal(bookings.body.total_entries, 1);
    });
  });
});

describe("sandbox pagination", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ seed: "empty", rateLimit: 0 });
    for (let i = 0; i < 250; i++)
      sb.control.create("contacts", { first_name: `C${i}`, archived_at: null, deleted_at: null });
  });
  after(() => sb.stop());

  it("walks 250 records through links.next: no duplicates, no gaps, no next on the last page", async () => {
    let url: string | undefined = `${sb.baseUrl}/contacts?per_page=100&sort=updated_at`;
    const seen: string[] = [];
    const pages: { total: number; previous?: string }[] = [];
    while (url) {
      const r = await api(sb, "GET", url);
      assert.equal(r.status, 200);
      seen.push(...r.body.contacts.map((c: { id: string }) => c.id));
      pages.push({ total: r.body.total_entries, previous: r.body.links.previous });
      assert.ok(r.body.links.self.startsWith(sb.baseUrl));
      url = r.body.links.next;
    }
    assert.equal(pages.length, 3);
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen).size, 250);
    assert.deepEqual(
      pages.map((p) => p.total),
      [250, 250, 250],
    );
    assert.equal(pages[0]!.previous, undefined);
    assert.match(pages[2]!.previous!, /page=2/);
  });

  it("defaults to 50 per page and refuses per_page above 100 or a bad page", async () => {
    assert.equal((await api(sb, "GET", "/contacts")).body.contacts.length, 50);
    assert.equal((await api(sb, "GET", "/contacts?per_page=101")).status, 400);
    assert.equal((await api(sb, "GET", "/contacts?per_page=0")).status, 400);
    assert.equal((await api(sb, "GET", "/contacts?page=0")).status, 400);
    const beyond = await api(sb, "GET", "/contacts?page=9");
    assert.equal(beyond.body.contacts.length, 0);
    assert.equal(beyond.body.links.next, undefined);
  });
});
