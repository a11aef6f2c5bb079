import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClinikoConfigError } from "../../src/cliniko/errors.ts";
import {
  apiBaseUrl,
  connectionFromEnv,
  parseRegion,
  REGIONS,
  resolveConnection,
  shardOfKey,
} from "../../src/cliniko/regions.ts";

describe("regions", () => {
  it("lists the ten regions", () => {
    assert.deepEqual([...REGIONS], ["au1", "au2", "au3", "au4", "au5", "ca1", "uk1", "uk2", "uk3", "eu1"]);
  });

  it("reads the shard from the key's suffix after the last dash", () => {
    assert.equal(shardOfKey("MS0xLTEyMzQ1Njc-abc-uk2"), "uk2");
    assert.equal(shardOfKey("MS0xLTEyMzQ1Njc-CA1"), "ca1");
    assert.equal(shardOfKey("MS0xLTEyMzQ1Njc"), "au1", "no suffix → au1");
    assert.equal(
      shardOfKey("MS0xLTEy-not/a.host"),
      "au1",
      "a suffix that is not shard-shaped never reaches a host name",
    );
    assert.equal(shardOfKey("abc-au6"), "au6", "a new shard Cliniko adds still works");
  });

  it("builds the shard's API host", () => {
    assert.equal(apiBaseUrl("eu1"), "https://api.eu1.cliniko.com/v1");
    assert.deepEqual(resolveConnection({ apiKey: "k-uk3" }), {
      shard: "uk3",
      baseUrl: "https://api.uk3.cliniko.com/v1",
    });
  });

  it("accepts a region in any case when it matches the key", () => {
    assert.equal(parseRegion(" AU2 "), "au2");
    assert.equal(resolveConnection({ apiKey: "k-au2", region: "Au2" }).baseUrl, "https://api.au2.cliniko.com/v1");
    assert.equal(resolveConnection({ apiKey: "legacykey", region: "AU1" }).shard, "au1");
    // Database rows carry null for unset columns.
    assert.equal(
      resolveConnection({ apiKey: "k-ca1", region: null, baseUrl: null }).baseUrl,
      "https://api.ca1.cliniko.com/v1",
    );
  });

  it("refuses a region that disagrees with the key, naming both", () => {
    assert.throws(
      () => resolveConnection({ apiKey: "secretkey-au2", region: "UK1" }),
      (err: unknown) =>
        err instanceof ClinikoConfigError &&
        err.code === "config" &&
        /belongs to Cliniko region AU2 but region UK1 was chosen/.test(err.message) &&
        !err.message.includes("secretkey"),
    );
  });

  it("refuses an unknown region, listing the choices", () => {
    assert.throws(() => parseRegion("us1"), /"us1" is not a Cliniko region; choose one of AU1, AU2, .*EU1\./);
    assert.throws(
      () => parseRegion("MS0xLTEyMzQ1Njc4OTAtc2VjcmV0-au1"),
      (err: unknown) => err instanceof ClinikoConfigError && /^That is not a Cliniko region/.test(err.message),
      "a long input (a pasted key) is not echoed",
    );
  });

  it("takes a base-URL override and checks it", () => {
    assert.equal(
      resolveConnection({ apiKey: "k", baseUrl: "http://127.0.0.1:4010/v1/" }).baseUrl,
      "http://127.0.0.1:4010/v1",
    );
    assert.throws(() => resolveConnection({ apiKey: "k", baseUrl: "ftp://x/v1" }), ClinikoConfigError);
    assert.throws(() => resolveConnection({ apiKey: "k", baseUrl: "http://u:p@x/v1" }), /must not contain a user name/);
    assert.throws(() => resolveConnection({ apiKey: "k", baseUrl: "not a url" }), /not a valid URL/);
    assert.throws(() => resolveConnection({ apiKey: "k-au2", region: "uk1", baseUrl: "http://127.0.0.1/v1" }), /AU2/);
  });

  it("reads a connection from the environment, naming a missing variable", () => {
    assert.throws(() => connectionFromEnv({}), /^ClinikoConfigError: CLINIKO_API_KEY is not set/);
    assert.throws(() => connectionFromEnv({ CLINIKO_API_KEY: "k-au1" }), /CLINIKO_EMAIL is not set/);
    assert.deepEqual(
      connectionFromEnv({
        CLINIKO_API_KEY: "k-au1",
        CLINIKO_EMAIL: "ops@clinic.example",
        CLINIKO_REGION: "AU1",
        CLINIKO_BASE_URL: "http://127.0.0.1:4010/v1",
      }),
      { apiKey: "k-au1", email: "ops@clinic.example", region: "AU1", baseUrl: "http://127.0.0.1:4010/v1" },
    );
    assert.throws(
      () => connectionFromEnv({ CLINIKO_API_KEY: "k-au1", CLINIKO_EMAIL: "a@b.co", CLINIKO_REGION: "eu1" }),
      /region AU1 but region EU1/,
    );
  });
});
