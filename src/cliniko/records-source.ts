/** The text `records.generated.ts` must have, from the committed spec facts and the resource table. */
import { renderRecordTypes } from "./record-types.ts";
import { resourceNames, resources } from "./resources.ts";
import { spec } from "./spec.ts";

export function recordTypesSource(): string {
  return renderRecordTypes(spec, Object.fromEntries(resourceNames.map((r) => [r, resources[r].recordSchema])));
}
