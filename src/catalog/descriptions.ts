/**
 * How an action derived from the API document describes itself when its row gives no words: from
 * its kind, its resource's label, and what its operation's path names (a parent record, a part of
 * a record, a collection outside the resource catalogue).
 */
import { withArticle } from "../cliniko/labels.ts";
import { type ResourceName, resource } from "../cliniko/resources.ts";
import type { OperationSpec } from "../cliniko/spec.ts";
import type { ActionRow } from "./actions.ts";
import type { ActionKind } from "./types.ts";

export function pluralLabel(name: ResourceName): string {
  const label = resource(name).label;
  if (/(ss|x|ch|sh)$/.test(label)) return `${label}es`;
  if (label.endsWith("s")) return label;
  return `${label}s`.replace(/([^aeiou])ys$/, "$1ies");
}

/**
 * What an operation of no catalogue resource answers, in words (`/businesses/{business_id}/services`
 * → "services"), so its description names it instead of "records".
 */
function nounOf(op: OperationSpec): string {
  const last = op.path
    .split("/")
    .filter((s) => s !== "" && !s.startsWith("{"))
    .at(-1);
  return (op.response.kind === "list" ? op.response.key : (last ?? "record")).replace(/_/g, " ");
}

/** The record a nested operation sits under (`{business_id}` → "business"), if any. */
function parentOf(op: OperationSpec): string | undefined {
  const param = op.pathParams.find((p) => p !== "id");
  return param?.replace(/_id$/, "").replace(/_/g, " ");
}

/** What a path names past its last id (`/patients/{id}/referral_source` → "referral source"), if anything. */
function partOf(op: OperationSpec): string | undefined {
  const segments = op.path.split("/");
  const lastParam = segments.findLastIndex((s) => s.startsWith("{"));
  const rest = lastParam < 0 ? [] : segments.slice(lastParam + 1);
  return rest.length > 0 ? rest.join(" ").replace(/_/g, " ") : undefined;
}

export function describe(
  kind: ActionKind,
  res: ResourceName | undefined,
  row: Pick<ActionRow, "title" | "search">,
  op: OperationSpec,
): string {
  const label = res ? resource(res).label : nounOf(op);
  const a = withArticle(label);
  const part = partOf(op);
  // A part of a record (its conflicts, signature, referral source), or a record the account has once (settings).
  if ((kind === "find" || kind === "update") && part && !["archive", "unarchive", "cancel"].includes(part))
    return `${kind === "find" ? "Gets" : "Updates"} the ${part} of ${a}, by its id or URL.`;
  const parent = parentOf(op);
  if (kind === "find" && parent && op.pathParams.includes("id")) {
    const segments = op.path.split("/");
    const collection = segments[segments.indexOf("{id}") - 1] ?? "record";
    return `Gets ${withArticle(collection.replace(/s$/, "").replace(/_/g, " "))} of one ${parent}, by id.`;
  }
  if (kind === "find" && op.pathParams.length === 0)
    return `Gets the ${op.path.split("/").filter(Boolean).reverse().join(" ").replace(/_/g, " ")}.`;
  const searchFields = Object.keys(row.search ?? {});
  switch (kind) {
    case "create":
      return `Creates ${a} in Cliniko.`;
    case "update":
      return `Updates ${a} by id or URL; only the fields you send change.`;
    case "find":
      return searchFields.length > 0
        ? `Gets ${a} by id or URL (whatever its state), or finds the newest live ${label} matching ${searchFields.join(" / ")} (null when none matches).`
        : `Gets ${a} by id or Cliniko URL.`;
    case "list": {
      return `Lists ${res ? pluralLabel(res) : nounOf(op)}${parent ? ` of one ${parent}` : ""} with q[] filters, sort and paging (all: true follows every page).`;
    }
    case "archive":
      return `Archives ${a}: it leaves Cliniko's default lists but is kept.`;
    case "unarchive":
      return `Unarchives ${a}: it comes back into Cliniko's default lists.`;
    case "cancel":
      return `Cancels ${a} with a cancellation reason (and optional note).`;
    case "delete":
      return `Permanently deletes ${a}.`;
    default:
      return row.title;
  }
}
