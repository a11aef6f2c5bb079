/** The sandbox Cliniko: a stateful fake of the API over real HTTP, built from the catalogue. */
export { SandboxClock } from "./clock.ts";
export type { RequestLogEntry, SandboxControl } from "./control.ts";
export type { FaultRule } from "./faults.ts";
// Fixture vocabulary, for callers that add realistic records through `control` (the Demo clinic).
export { Prng } from "./prng.ts";
export { CANCELLATION_REASONS } from "./records.ts";
export type { SeedName } from "./seed.ts";
export { generateApiKey, keySuffix, type Sandbox, type SandboxOptions, startSandbox } from "./server.ts";
export type { Row, SandboxStore } from "./store.ts";
export { FIRST_NAMES, fakeEmail, fakePhone, LAST_NAMES } from "./values.ts";
