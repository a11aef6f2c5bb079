/**
 * The well-known record ids the catalogue's samples point at. A trigger's sample event (what
 * "Test this step" runs on when there is no real record yet) links to `patients/<sampleId>`,
 * `practitioners/<sampleId>`, …, and the sandbox's demo seed gives its first record of each
 * collection exactly that id, so a step tested on the sample against the demo clinic finds the
 * records it names instead of a 404 on a made-up id.
 *
 * One id per collection, below the sandbox's own counter (which starts at 10^18) and above 2^53,
 * like every sandbox id, so a client that turns ids into numbers still breaks visibly.
 */
import { createHash } from "node:crypto";
import { resourceNames } from "./resources.ts";

const BASE = 900_000_000_000_000_000n;

/**
 * Bookings are a view, and `/appointments` the deprecated path: their ids name an individual
 * appointment (or, for bookings, a block).
 */
const VIEWS: Readonly<Record<string, string>> = {
  bookings: "individual_appointments",
  appointments: "individual_appointments",
};

const served: ReadonlySet<string> = new Set(resourceNames);

/**
 * The sample id of a collection's record, or undefined for a collection the catalogue does not
 * serve. Derived from the collection's name alone (48 bits of its SHA-256), so adding a resource
 * to the catalogue never renumbers the others, and a saved sandbox keeps matching its samples.
 */
export function sampleId(collection: string): string | undefined {
  const name = VIEWS[collection] ?? collection;
  if (!served.has(name)) return undefined;
  const digest = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return (BASE + BigInt(`0x${digest}`)).toString();
}
