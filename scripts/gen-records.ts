/**
 * Writes `src/cliniko/records.generated.ts` (record types per Cliniko schema, and `RecordOf`) from
 * the committed `spec.generated.json`, so nobody needs Cliniko's OpenAPI document to run it:
 *
 *   node scripts/gen-records.ts
 */
import { writeFileSync } from "node:fs";
import { recordTypesSource } from "../src/cliniko/records-source.ts";

const out = new URL("../src/cliniko/records.generated.ts", import.meta.url);
writeFileSync(out, recordTypesSource());
console.log(`wrote ${out.pathname}`);
