import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClinikoFilterError } from "../../src/cliniko/errors.ts";
import { buildFilters, buildSort, encodeQuery, OPERATORS, parseFilter } from "../../src/cliniko/query.ts";
import { resources } from "../../src/cliniko/resources.ts";
import type { FilterType } from "../../src/cliniko/spec.ts";

const patients = resources.patients.filters;
const table: Record<string, FilterType> = {
  created_at: "date-time",
  date_of_birth: "date",
  id: "int64",
  duration: "integer",
  email: "string",
  active: "boolean",
  tags: "array",
};

function filterError(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ClinikoFilterError, `expected ClinikoFilterError, got ${err}`);
    assert.equal(err.code, "filter");
    assert.match(err.message, pattern);
    return true;
  });
}

describe("q[] filters", () => {
  it("parses raw filter strings", () => {
    assert.deepEqual(parseFilter("email:=a@b.c"), { field: "email", op: "=", value: "a@b.c" });
    assert.deepEqual(parseFilter("created_at:>=2024-05-01T00:00:00Z"), {
      field: "created_at",
      op: ">=",
      value: "2024-05-01T00:00:00Z",
    });
    assert.deepEqual(parseFilter("archived_at:*"), { field: "archived_at", op: "*" });
    assert.deepEqual(parseFilter("email:!?"), { field: "email", op: "!?" });
    assert.deepEqual(parseFilter("last_name:~~Sm%th"), { field: "last_name", op: "~~", value: "Sm%th" });
    filterError(() => parseFilter("email=a@b.c"), /not of the form field:OPERATORvalue/);
    filterError(() => parseFilter("email:a@b.c"), /not of the form/);
  });

  it("refuses a field the endpoint does not filter on, listing those it does", () => {
    filterError(
      () => buildFilters(["phone:=123"], patients, "patients"),
      /^Cannot filter patients on "phone"; the fields you can filter on are accepted_privacy_policy, archived_at, .*updated_at\.$/,
    );
    filterError(
      () => buildFilters(["email:=x"], undefined, "invoice items"),
      /does not accept filters on invoice items/,
    );
  });

  it("refuses operators that do not fit the field's type", () => {
    filterError(
      () => buildFilters(["created_at:=2024-05-01T00:00:00Z"], table, "x"),
      /^The filter on created_at uses "=", which a date-time field does not accept; use one of > >= < <= \? !\? \*\.$/,
    );
    filterError(() => buildFilters(["email:>a"], table, "x"), /uses ">", which a string field .* = != ~ ~~ \? !\?/);
    filterError(() => buildFilters(["active:~true"], table, "x"), /boolean field/);
    filterError(() => buildFilters(["tags:=a"], table, "x"), /array field does not accept; use one of ~\./);
    filterError(() => buildFilters(["date_of_birth:~1990"], table, "x"), /date field/);
    filterError(() => buildFilters(["id:~~1"], table, "x"), /int64 field/);
    filterError(() => buildFilters(["date_of_birth:*"], table, "x"), /date field/);
  });

  it("checks values against the field's type", () => {
    filterError(() => buildFilters(["created_at:>2024-05-01"], table, "x"), /not an ISO date-time with a time zone/);
    filterError(() => buildFilters(["created_at:>2024-05-01T09:00:00"], table, "x"), /time zone/);
    filterError(() => buildFilters(["created_at:>yesterday"], table, "x"), /"yesterday" for created_at/);
    filterError(() => buildFilters(["date_of_birth:=1990-13-01"], table, "x"), /YYYY-MM-DD/);
    filterError(() => buildFilters(["date_of_birth:>****-05-**"], table, "x"), /wildcards only works with "="/);
    filterError(() => buildFilters(["id:=abc"], table, "x"), /"abc" for id is not a whole number/);
    filterError(() => buildFilters(["id:>1,2"], table, "x"), /Only "=" takes a list/);
    filterError(
      () => buildFilters([{ field: "id", op: "=", value: 2 ** 60 }], table, "x"),
      /pass large ids as strings/,
    );
    filterError(() => buildFilters(["active:=yes"], table, "x"), /must be true or false/);
    filterError(() => buildFilters(["created_at:?x"], table, "x"), /takes no value/);
    filterError(() => buildFilters(["email:="], table, "x"), /needs a value/);
  });

  it("builds the wire form of good filters", () => {
    assert.deepEqual(
      buildFilters(
        [
          "email:=jo@example.com",
          { field: "created_at", op: ">=", value: "2024-05-01T09:00:00.123+10:00" },
          { field: "id", op: "=", value: ["9007199254740993", 2] },
          "id:=1, 2,3",
          "date_of_birth:=****-05-**",
          { field: "active", op: "!=", value: false },
          "archived_at:*".replace("archived_at", "created_at"),
          "email:!?",
          "tags:~vip",
          { field: "duration", op: "<", value: 30 },
        ],
        table,
        "x",
      ),
      [
        "email:=jo@example.com",
        "created_at:>=2024-05-01T09:00:00.123+10:00",
        "id:=9007199254740993,2",
        "id:=1,2,3",
        "date_of_birth:=****-05-**",
        "active:!=false",
        "created_at:*",
        "email:!?",
        "tags:~vip",
        "duration:<30",
      ],
    );
  });

  it("produces the exact query string", () => {
    const q = buildFilters(
      ["email:=jo+1@example.com", "updated_at:>=2024-05-01T00:00:00Z", "last_name:~~Sm%th"],
      patients,
      "patients",
    );
    assert.equal(
      encodeQuery({ per_page: 100, page: undefined, from: null }, q, buildSort("updated_at,id:desc")),
      "per_page=100&q[]=email:%3Djo%2B1%40example.com&q[]=updated_at:%3E%3D2024-05-01T00:00:00Z&q[]=last_name:~~Sm%25th&sort=updated_at,id:desc",
    );
  });

  it("covers every operand type Cliniko documents", () => {
    assert.deepEqual(Object.keys(OPERATORS).sort(), [
      "array",
      "boolean",
      "date",
      "date-time",
      "int64",
      "integer",
      "string",
    ]);
    assert.ok(!OPERATORS["date-time"].includes("="));
  });
});

describe("sort", () => {
  it("builds field[:desc] lists and refuses malformed ones", () => {
    assert.equal(buildSort("updated_at"), "updated_at");
    assert.equal(buildSort(["updated_at", { field: "id", desc: true }]), "updated_at,id:desc");
    assert.equal(buildSort(" created_at:desc , id "), "created_at:desc,id");
    assert.equal(buildSort(""), undefined);
    filterError(() => buildSort("updated_at:down"), /"updated_at:down" is not of the form field or field:desc/);
    filterError(() => buildSort("a;drop"), /not of the form/);
  });
});
