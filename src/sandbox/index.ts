/** The sandbox Cliniko: a stateful fake of the API over real HTTP, built from the catalogue. */
export { SandboxClock } from "./clock.ts";
export type { RequestLogEntry } from "./control.ts";
export type { FaultRule } from "./faults.ts";
export type { SeedName } from "./seed.ts";
export { generateApiKey, keySuffix, type Sandbox, type SandboxOptions, startSandbox } from "./server.ts";
export type { Row, SandboxStore } from "./store.ts";
