/** How search_patients reads free text: which kind of query it is, dates of birth and phone numbers as people type them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dateOfBirth, kindOf, phoneDigits, samePhone } from "../../../src/mcp/jobs/patients.ts";

describe("search_patients' reading of a query", () => {
  it("tells an email, a date of birth, a phone number and a name apart", () => {
    assert.equal(kindOf("Jo@Example.com"), "email");
    assert.equal(kindOf("1985-03-07"), "date_of_birth");
    assert.equal(kindOf("7/3/1985"), "date_of_birth");
    assert.equal(kindOf("+61 412 345 678"), "phone");
    assert.equal(kindOf("(02) 9876-5432"), "phone");
    assert.equal(kindOf("Jane Smith"), "name");
    assert.equal(kindOf("O'Brien"), "name");
    assert.equal(kindOf("12345"), "name", "too short for a phone number");
  });

  it("reads dates of birth day first, unless the day cannot be", () => {
    assert.equal(dateOfBirth("7/3/1985"), "1985-03-07");
    assert.equal(dateOfBirth("07.03.1985"), "1985-03-07");
    assert.equal(dateOfBirth("3/25/1985"), "1985-03-25", "25 cannot be a month");
    assert.equal(dateOfBirth("32/1/1985"), undefined);
  });

  it("matches a phone number with or without trunk zero, country code and punctuation", () => {
    const stored = "0412 345 678";
    for (const typed of ["0412345678", "+61 412 345 678", "61412345678", "(0412) 345-678", "412 345 678"])
      assert.ok(samePhone(phoneDigits(typed)!, stored), typed);
    assert.ok(samePhone(phoneDigits("345 678")!, stored), "part of a number");
    assert.ok(!samePhone(phoneDigits("0412 345 679")!, stored));
    assert.ok(!samePhone(phoneDigits("+44 412 345 679")!, stored));
  });
});
