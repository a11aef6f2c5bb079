/**
 * Test data and test runs: the trigger's sample (the newest real record when a connection can
 * fetch one), each step's tested output, and a whole-workflow test.
 */
import { useEffect, useRef, useState } from "react";
import {
  api,
  type CatalogAction,
  type CatalogTrigger,
  type StepTestResult,
  type WorkflowDefinition,
  type WorkflowStep,
} from "../../api.ts";
import { flatten } from "./model.ts";

export type TestSummary = { ok: boolean; text: string } | "testing";

export function useTesting({
  def,
  trigger,
  connections,
  actionByKey,
  onError,
}: {
  def: WorkflowDefinition;
  trigger: CatalogTrigger | undefined;
  connections: string[];
  actionByKey: Map<string, CatalogAction>;
  onError: (error: unknown) => void;
}) {
  const [triggerSample, setTriggerSample] = useState<unknown>();
  const [sampleInfo, setSampleInfo] = useState("");
  const [outputs, setOutputs] = useState<Record<string, StepTestResult | "testing">>({});
  const [summary, setSummary] = useState<TestSummary>();
  const sampleSeq = useRef(0);
  const triggerConnection = def.trigger.connection ?? "default";
  const canFetchLive = trigger !== undefined && !trigger.builtin && connections.includes(triggerConnection);

  async function loadLiveSample() {
    const seq = ++sampleSeq.current;
    setSampleInfo("Fetching the latest record from Cliniko…");
    try {
      const res = await api.triggerSample(def.trigger.key, { connection: def.trigger.connection, live: true });
      if (seq !== sampleSeq.current) return; // a newer trigger or connection was picked meanwhile
      setTriggerSample(res.sample);
      setSampleInfo(
        res.live
          ? `Testing with the latest real record from Cliniko (connection “${triggerConnection}”).`
          : `No matching record in Cliniko yet: testing with the built-in sample data instead.`,
      );
    } catch (err) {
      if (seq !== sampleSeq.current) return;
      setSampleInfo(
        `Could not fetch a record from Cliniko (${err instanceof Error ? err.message : String(err)}): testing with the built-in sample data instead.`,
      );
    }
  }

  // Steps are tested on real data by default: the newest record the trigger would fire for, from
  // its connection; the built-in sample only when there is none (or Cliniko cannot be reached).
  // biome-ignore lint/correctness/useExhaustiveDependencies: fetch again only when the trigger or its connection changes
  useEffect(() => {
    if (!trigger) return;
    setTriggerSample(trigger.sample);
    setSampleInfo(trigger.sample === undefined ? "" : "Built-in sample data (no connection to fetch a real record)");
    if (canFetchLive) void loadLiveSample();
  }, [trigger, canFetchLive, triggerConnection]);

  /** A step's output as the data picker shows it: its tested output, else its kind's sample. */
  const stepOutput = (s: WorkflowStep): unknown => {
    const o = outputs[s.id];
    if (o && o !== "testing" && o.ok) return o.output;
    return actionByKey.get(s.action)?.outputSample;
  };

  /** Tests a step with the trigger sample and the outputs of every step before it (branches included). */
  async function testStep(step: WorkflowStep) {
    setOutputs((o) => ({ ...o, [step.id]: "testing" }));
    const all = flatten(def.steps);
    const before = all.slice(0, all.indexOf(step));
    const context = {
      trigger: triggerSample ?? {},
      steps: Object.fromEntries(before.map((s) => [s.id, stepOutput(s)])),
    };
    try {
      const result = await api.testStep({ step, connection: step.connection, context });
      setOutputs((o) => ({ ...o, [step.id]: result }));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      setOutputs((o) => ({ ...o, [step.id]: { ok: false, input: step.input, error, durationMs: 0 } }));
    }
  }

  /** Runs every step in order on the trigger sample, as a run would, and shows each result. */
  async function testWorkflow() {
    setSummary("testing");
    try {
      const result = await api.workflows.test(def, { trigger: triggerSample ?? {} });
      setOutputs(Object.fromEntries(result.steps.map(({ stepId, ...r }) => [stepId, r])));
      const failed = result.steps.find((r) => !r.ok);
      const ran = result.steps.filter((r) => !r.skipped).length;
      setSummary({
        ok: result.ok,
        text: failed
          ? `Step "${failed.stepId}" failed: ${failed.error ?? "see its card"}. Steps after it did not run.`
          : `${ran === 1 ? "The step" : `All ${ran} steps`} ran without error${
              result.steps.length > ran ? ` (${result.steps.length - ran} skipped by their condition)` : ""
            }; each card shows its output.`,
      });
    } catch (err) {
      setSummary(undefined);
      onError(err);
    }
  }

  return { triggerSample, sampleInfo, loadLiveSample, outputs, stepOutput, testStep, testWorkflow, summary };
}
