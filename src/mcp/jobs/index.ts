/** The job tools: one call per front-desk question, each built on the catalogue's actions. */
import type { McpTool } from "../tool.ts";
import { billingJobs } from "./billing.ts";
import { patientJobs } from "./patients.ts";
import { schedulingJobs } from "./scheduling.ts";

export function jobTools(): McpTool[] {
  return [...patientJobs(), ...schedulingJobs(), ...billingJobs()];
}
