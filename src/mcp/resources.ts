/** What an assistant can read besides calling tools: the catalogue, as one JSON document. */
import { actionSummary, actions, triggerSummary, triggers } from "../catalog/index.ts";

export const CATALOGUE_URI = "cliniko-flow://catalogue";

export const catalogueResource = {
  uri: CATALOGUE_URI,
  name: "catalogue",
  title: "Cliniko catalogue",
  description:
    "Every Cliniko action (tool) with its input schema and an example output, and every trigger flow_poll_trigger can poll.",
  mimeType: "application/json",
};

export function catalogueText(): string {
  return JSON.stringify({ actions: actions.map(actionSummary), triggers: triggers.map(triggerSummary) });
}
