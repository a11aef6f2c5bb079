import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "../../src/cliniko/client.ts";
import {
  ClinikoConfigError,
  ClinikoError,
  ClinikoFilterError,
  ClinikoHttpError,
  ClinikoUnsupportedError,
} from "../../src/cliniko/errors.ts";
import { envelopeKey } from "../../src/cliniko/paginate.ts";
import { type OperationRole, resourceNames, resources } from "../../src/cliniko/resources.ts";
import { type OperationSpec, operation } from "../../src/cliniko/spec.ts";
import type { ClinikoRecord } from "../../src/cliniko/types.ts";
import { json, startServer, type TestServer, testKey } from "./support/server.ts";

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const client = () =>
  createClient({
    apiKey: testKey(),
    email: "ops@clinic.example",
    baseUrl: server.baseUrl,
    retry: { retries: 0 },
    rateLimit: false,
  });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<ClinikoError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ClinikoError, String(err));
    return err;
  }
  assert.fail("expected a rejection");
}

/** Three pages whose next links use an opaque cursor, so only following them can reach the end. */
function threePages(key: string, origin = server.origin) {
  server.handle((req, res) => {
    const url = new URL(req.url, server.origin);
    const cursor = url.searchParams.get("cursor") ?? "a";
    const next = { a: "b", b: "c" }[cursor];
    json(res, 200, {
      [key]: [1, 2].map((i) => ({ id: `${cursor}${i}` })),
      total_entries: 2, // deliberately wrong: pages are never computed from it
      links: {
        self: `${server.baseUrl}${url.pathname}`,
        ...(next ? { next: `${origin}${url.pathname}?cursor=${next}` } : {}),
      },
    });
  });
}

describe("pagination", () => {
  it("follows links.next over three pages and unwraps the envelope key", async () => {
    threePages("patients");
    const records = await collect(
      client()
        .resource("patients")
        .all({ q: ["last_name:~Smith"], sort: "updated_at:desc" }),
    );
    assert.deepEqual(
      records.map((r) => r.id),
      ["a1", "a2", "b1", "b2", "c1", "c2"],
    );
    assert.equal(server.requests.length, 3);
    assert.equal(server.requests[0]?.url, "/v1/patients?per_page=100&q[]=last_name:~Smith&sort=updated_at:desc");
    assert.equal(server.requests[1]?.url, "/v1/patients?cursor=b", "the next link is followed as given");
    assert.equal(server.requests[2]?.url, "/v1/patients?cursor=c");
  });

  it("unwraps the spec's envelope key for variant paths", async () => {
    assert.equal(envelopeKey("/practitioners/inactive"), "practitioners");
    assert.equal(envelopeKey("/businesses/1/practitioners/2/appointment_types/3/available_times"), "available_times");
    assert.equal(envelopeKey("/patients/12/treatment_notes"), "treatment_notes");
    threePages("practitioners");
    const c = client();
    assert.equal((await collect(c.paginate("/practitioners/inactive"))).length, 6);
    threePages("available_times");
    const times = await collect(
      c.paginate("/businesses/1/practitioners/2/appointment_types/3/available_times", {
        query: { from: "2024-05-01", to: "2024-05-07" },
      }),
    );
    assert.equal(times.length, 6);
    assert.match(server.requests[0]?.url ?? "", /available_times\?from=2024-05-01&to=2024-05-07&per_page=100$/);
  });

  it("yields whole pages with their total_entries for callers that count pages", async () => {
    threePages("patients");
    const pages = await collect(client().pages("/patients", { q: ["last_name:~Smith"] }));
    assert.deepEqual(
      pages.map((p) => [p.records.map((r) => r.id).join(","), p.totalEntries]),
      [
        ["a1,a2", 2],
        ["b1,b2", 2],
        ["c1,c2", 2],
      ],
    );
    assert.equal(server.requests[0]?.url, "/v1/patients?per_page=100&q[]=last_name:~Smith");
  });

  it("stops after `limit` records without fetching further pages", async () => {
    threePages("patients");
    const records = await collect(client().paginate<ClinikoRecord>("/patients", { limit: 3 }));
    assert.equal(records.length, 3);
    assert.equal(server.requests.length, 2);
  });

  it("refuses a links.next on another origin, sending nothing there", async () => {
    const other = await startServer();
    try {
      threePages("patients", other.origin);
      const seen: string[] = [];
      const err = await rejection(
        (async () => {
          for await (const r of client().resource("patients").all()) seen.push(String(r.id));
        })(),
      );
      assert.ok(err instanceof ClinikoConfigError);
      assert.match(err.message, /^Refusing to send the Cliniko API key to http:\/\/127\.0\.0\.1:\d+/);
      assert.deepEqual(seen, ["a1", "a2"]);
      assert.equal(other.requests.length, 0);
    } finally {
      await other.close();
    }
  });

  it("stops a listing whose next links loop", async () => {
    server.handle((_req, res) =>
      json(res, 200, { patients: [{ id: "1" }], links: { next: `${server.baseUrl}/patients?page=2` } }),
    );
    const err = await rejection(collect(client().paginate("/patients")));
    assert.ok(err instanceof ClinikoHttpError);
    assert.match(err.message, /link back to a page already read/);
  });

  it("returns one page with its total and next link", async () => {
    threePages("patients");
    const page = await client().resource("patients").list({ page: 1, perPage: 2 });
    assert.equal(page.records.length, 2);
    assert.equal(page.totalEntries, 2);
    assert.equal(page.next, `${server.origin}/v1/patients?cursor=b`);
    assert.equal(server.requests[0]?.url, "/v1/patients?page=1&per_page=2");
    const last = await client().listPage("/patients", { query: { cursor: "c" } });
    assert.equal(last.next, undefined);
  });

  it("refuses per_page outside 1–100 and an answer without the expected list", async () => {
    await assert.rejects(
      client().resource("patients").list({ perPage: 500 }),
      /per_page must be a whole number from 1 to 100/,
    );
    server.handle((_req, res) => json(res, 200, { people: [] }));
    const err = await rejection(client().resource("patients").list());
    assert.match(err.message, /did not contain the expected list of patients/);
  });
});

describe("call(operationId)", () => {
  it("substitutes path parameters and returns the body", async () => {
    server.handle((req, res) => json(res, 200, { path: req.path }));
    const body = await client().call<{ path: string }>("GetNextAvailableTime-Get", {
      params: { business_id: "1", practitioner_id: "2", appointment_type_id: "3" },
      query: { from: "2024-05-01", to: "2024-05-07" },
    });
    assert.equal(body.path, "/v1/businesses/1/practitioners/2/appointment_types/3/next_available_time");
  });

  it("validates q[] against the operation's own table before sending", async () => {
    server.handle((_req, res) => json(res, 200, { id: "1" }));
    const c = client();
    await c.call("GetPatient-Get", { params: { id: "1" }, q: ["archived_at:*"] });
    assert.equal(server.requests[0]?.url, "/v1/patients/1?q[]=archived_at:*");
    const err = await rejection(c.call("GetPatient-Get", { params: { id: "1" }, q: ["email:=a@b.c"] }));
    assert.ok(err instanceof ClinikoFilterError);
    assert.match(err.message, /^Cannot filter patients on "email"; the fields you can filter on are archived_at\.$/);
    assert.equal(server.requests.length, 1, "nothing sent for a bad filter");
  });

  it("refuses unknown or missing parameters, unknown operations and path-breaking ids", async () => {
    const c = client();
    await assert.rejects(
      c.call("GetAllAvailableTimes-Get", {
        params: { business_id: "1", practitioner_id: "2", appointment_type_id: "3" },
        query: { from: "2024-05-01" },
      }),
      /needs the parameter to/,
    );
    await assert.rejects(
      c.call("ListPatients-Get", { query: { fromm: "x" } }),
      /does not take the parameter fromm; it takes page, per_page, sort/,
    );
    await assert.rejects(c.call("GetPatient-Get", {}), /needs a value for id/);
    await assert.rejects(c.call("GetPatient-Get", { params: { id: "../users" } }), /not a valid Cliniko id/);
    await assert.rejects(
      c.call("NoSuchThing-Get"),
      (err: unknown) => err instanceof ClinikoUnsupportedError && err.code === "unsupported",
    );
    await assert.rejects(c.call("GetPatient-Get", { params: { id: "1" }, sort: "id" }), /cannot be sorted/);
  });

  it("pages a list operation held as a spec: path filled, envelope key and q[] from the operation", async () => {
    threePages("practitioners");
    const c = client();
    const list = operation("ListInactivePractitionersForBusiness-Get");
    const pages = await collect(c.pagesOf(list, { params: { business_id: "7" }, q: ["user_id:=3"], sort: "id" }));
    assert.deepEqual(
      pages.map((p) => p.records.map((r) => r.id)),
      [
        ["a1", "a2"],
        ["b1", "b2"],
        ["c1", "c2"],
      ],
    );
    assert.equal(
      server.requests[0]?.url,
      "/v1/businesses/7/practitioners/inactive?per_page=100&q[]=user_id:%3D3&sort=id",
    );
    const one = await c.pageOf("ListInactivePractitionersForBusiness-Get", {
      params: { business_id: "7" },
      page: 2,
      perPage: 5,
    });
    assert.equal(one.records.length, 2);
    assert.equal(server.requests.at(-1)?.url, "/v1/businesses/7/practitioners/inactive?page=2&per_page=5");
  });

  it("dates a page no later than Cliniko read it: its Date header less the request's time and rounding", async () => {
    // A slow answer whose Date header is stamped when it is sent: a page dated by the header
    // alone would claim a moment after the listing was read, and the poller would settle a
    // range a record could still commit into.
    server.handle(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1200));
      json(res, 200, { patients: [], total_entries: 0 }, { Date: new Date().toUTCString() });
    });
    const sent = Date.now();
    const page = await client().pageOf("ListPatients-Get", {});
    assert.ok(page.answeredAt !== undefined, "the page carries Cliniko's clock");
    assert.ok(page.answeredAt <= sent, `dated ${page.answeredAt - sent} ms after the request was sent`);
    assert.ok(page.answeredAt >= sent - 4000, "and not far earlier than the request");
  });

  it("refuses, before sending, a list call that breaks the operation's rules", async () => {
    server.handle((_req, res) => json(res, 200, { practitioners: [] }));
    const c = client();
    const list = operation("ListInactivePractitionersForBusiness-Get");
    await assert.rejects(collect(c.pagesOf(list, {})), /needs a value for business_id/);
    await assert.rejects(
      c.pageOf(list, { params: { business_id: "1" }, q: ["email:=a@b.c"] }),
      (err: unknown) =>
        err instanceof ClinikoFilterError && /^Cannot filter practitioners on "email"/.test(err.message),
    );
    await assert.rejects(c.pageOf(list, { params: { business_id: "1" }, perPage: 500 }), /per_page must be/);
    await assert.rejects(c.pageOf("GetPatient-Get", { params: { id: "1" } }), /does not answer with a list/);
    assert.equal(server.requests.length, 0);
  });

  it("calls an operation spec that is not in Cliniko's document (an undocumented write) the same way", async () => {
    server.handle((req, res) => json(res, 200, { id: "4", path: req.path }));
    const undocumented: OperationSpec = {
      operationId: "UpdateThing-Undocumented",
      method: "PATCH",
      path: "/things/{id}",
      tag: "Thing",
      deprecated: false,
      pathParams: ["id"],
      query: [],
      response: { kind: "none", status: 204 },
    };
    const body = await client().call<{ path: string }>(undocumented, { params: { id: "4" }, body: { a: 1 } });
    assert.equal(body.path, "/v1/things/4");
    assert.equal(server.requests[0]?.method, "PATCH");
    assert.equal(server.requests[0]?.body, '{"a":1}');
    await assert.rejects(client().call(undocumented, { params: { id: "4" }, q: ["a:=1"] }), /does not accept filters/);
  });

  it("checks filters on plain requests when the path is a known list", async () => {
    server.handle((_req, res) => json(res, 200, { patients: [] }));
    await assert.rejects(
      client().request({
        method: "GET",
        path: "/patients",
        q: [{ field: "created_at", op: "=", value: "2024-01-01T00:00:00Z" }],
      }),
      /uses "=", which a date-time field does not accept/,
    );
    await client().request({ method: "GET", path: "/patients", q: ["email:=x@y.z"], query: { per_page: 5 } });
    assert.equal(server.requests[0]?.url, "/v1/patients?per_page=5&q[]=email:%3Dx%40y.z");
  });
});

describe("resource clients derived from the catalogue", () => {
  it("throws 'unsupported' naming the resource for an operation it lacks", async () => {
    server.handle((_req, res) => json(res, 200, {}));
    const c = client();
    const err = await rejection(c.resource("invoices").create({}));
    assert.ok(err instanceof ClinikoUnsupportedError);
    assert.equal(err.code, "unsupported");
    assert.equal(err.message, "Cliniko's API cannot create invoices; the invoices resource has no create operation.");
    await assert.rejects(c.resource("patients").delete("1"), /cannot delete patients/);
    assert.throws(() => c.resource("nope" as never), /"nope" is not a Cliniko resource/);
    assert.equal(server.requests.length, 0);
  });

  it("refuses a list filter on a field the resource does not filter on, before sending", async () => {
    server.handle((_req, res) => json(res, 200, { products: [] }));
    const err = await rejection(
      client()
        .resource("products")
        .list({ q: ["item_code:=X1"] }),
    );
    assert.ok(err instanceof ClinikoFilterError);
    assert.match(err.message, /^Cannot filter products on "item_code"/);
    assert.equal(server.requests.length, 0);
  });

  it("sends each role's canonical operation for every resource", async () => {
    server.handle((req, res) => {
      if (req.method === "GET" && /^\/v1\/[a-z_]+$/.test(req.path)) {
        return json(res, 200, { [req.path.slice(4)]: [{ id: "1" }], total_entries: 1, links: {} });
      }
      if (/\/(archive|cancel)$/.test(req.path) || req.method === "DELETE") return json(res, 204);
      json(res, 200, { id: "1" });
    });
    const c = client();
    const calls: Record<OperationRole, (rc: ReturnType<typeof c.resource>) => Promise<unknown>> = {
      list: (rc) => rc.list(),
      get: (rc) => rc.get("1"),
      create: (rc) => rc.create({ name: "x" }),
      update: (rc) => rc.update("1", { name: "x" }),
      archive: (rc) => rc.archive("1"),
      unarchive: (rc) => rc.unarchive("1"),
      cancel: (rc) => rc.cancel("1", { cancellation_reason: 50 }),
      delete: (rc) => rc.delete("1"),
    };
    let sent = 0;
    let refused = 0;
    for (const name of resourceNames) {
      const r = resources[name];
      for (const [role, run] of Object.entries(calls) as [OperationRole, (typeof calls)["list"]][]) {
        const op = r.ops[role];
        const before = server.requests.length;
        if (!op) {
          await assert.rejects(run(c.resource(name)), ClinikoUnsupportedError, `${name}.${role}`);
          refused++;
          continue;
        }
        await run(c.resource(name));
        const req = server.requests[before];
        assert.equal(req?.method, op.method, `${name}.${role}`);
        assert.equal(req?.path, `/v1${op.path.replace("{id}", "1")}`, `${name}.${role}`);
        if (role === "cancel" || role === "create" || role === "update") assert.ok(req?.body.length, "body sent");
        sent++;
      }
    }
    assert.ok(sent > 100 && refused > 50, `sent ${sent}, refused ${refused}`);
  });

  it("returns records for get/create/update/unarchive and nothing for archive/cancel/delete", async () => {
    server.handle((req, res) =>
      /\/(archive|cancel)$/.test(req.path) || req.method === "DELETE" ? json(res, 204) : json(res, 200, { id: "5" }),
    );
    const appointments = client().resource("individual_appointments");
    assert.deepEqual(await appointments.get("5"), { id: "5" });
    assert.equal(await appointments.cancel("5", { cancellation_reason: 50 }), undefined);
    assert.deepEqual(JSON.parse(server.requests[1]!.body), { cancellation_reason: 50 });
    assert.equal(server.requests[1]?.method, "PATCH");
    assert.deepEqual(await client().resource("patients").unarchive("5"), { id: "5" });
  });
});
