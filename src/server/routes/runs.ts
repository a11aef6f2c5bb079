/** Run history: list with filters, one run with its steps, and replay (a new queued run). */

import { eventSummary } from "../../catalog/event-summary.ts";
import { exportPatient, purgePatient } from "../../engine/patient-data.ts";
import { planReplay, replayRun } from "../../engine/replay-plan.ts";
import { allSteps, validateWorkflow } from "../../engine/workflow.ts";
import { isStepKind, stepKind } from "../../steps/registry.ts";
import { DATA_REMOVED, isRunEnded, isRunFailure, type RunRecord, type StepRecord } from "../../store/runs.ts";
import { conflict, notFound } from "../errors.ts";
import {
  IdParams,
  PatientErased,
  PatientParams,
  PatientRunsExport,
  ReplayBody,
  ReplayResult,
  RunSummary,
  RunsQuery,
  RunView,
} from "../schemas.ts";
import type { RunSummary as Summary, RunView as View } from "../wire.ts";
import { triggerTitles } from "./catalogue.ts";
import type { RouteContext, RoutePlugin } from "./context.ts";

const duration = (from: string | null, to: string | null) =>
  from && to ? Math.max(0, new Date(to).getTime() - new Date(from).getTime()) : null;

function summaryOf(r: RunRecord, title: (triggerKey: string) => string): Summary {
  return {
    id: String(r.id),
    workflow: r.workflow,
    workflowId: String(r.workflowId),
    trigger: r.trigger,
    triggerTitle: title(r.trigger),
    event: eventSummary(r.triggerPayload),
    eventKey: r.eventKey,
    status: r.status,
    failure: isRunFailure(r.status),
    startedAt: r.startedAt ?? r.createdAt,
    finishedAt: r.finishedAt,
    durationMs: duration(r.startedAt, r.finishedAt),
    error: r.error,
    dataNotKept: r.dataRemoved ? DATA_REMOVED[r.dataRemoved] : null,
  };
}

function viewOf(
  r: RunRecord,
  steps: StepRecord[],
  replay: View["replay"],
  title: (key: string) => string,
  more: Pick<View, "resends" | "replays">,
): View {
  return { replay, ...more, ...dataOf(r, steps, title) };
}

function dataOf(
  r: RunRecord,
  steps: StepRecord[],
  title: (key: string) => string,
): Omit<View, "replay" | "resends" | "replays"> {
  return {
    ...summaryOf(r, title),
    payload: r.triggerPayload,
    details: r.details,
    version: r.workflowVersion,
    steps: steps.map((s) => ({
      stepId: s.stepId,
      status: s.status,
      input: s.input,
      output: s.output,
      error: s.error,
      details: s.details,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      durationMs: duration(s.startedAt, s.finishedAt),
    })),
  };
}

/**
 * The steps of a run that wrote elsewhere and succeeded: a replay from the start repeats them (a
 * second email, a second record). Read from the version the run ran and each kind's declared safety.
 */
async function resends(ctx: RouteContext, run: RunRecord, steps: StepRecord[]): Promise<View["resends"]> {
  if (run.workflowVersion === null) return [];
  let def: ReturnType<typeof validateWorkflow>;
  try {
    def = validateWorkflow(await ctx.store.workflows.definitionAt(run.workflowId, run.workflowVersion));
  } catch {
    return []; // a version the model no longer reads: nothing to say
  }
  const byId = new Map(allSteps(def.steps).map(({ step }) => [step.id, step]));
  const sent = new Set(steps.filter((s) => s.status === "succeeded").map((s) => s.stepId));
  return [...sent].flatMap((id) => {
    const step = byId.get(id);
    if (!step || !isStepKind(step.action)) return [];
    const kind = stepKind(step.action);
    return kind.safety(step) === "write-once" ? [{ stepId: id, title: kind.title }] : [];
  });
}

async function findRun(ctx: RouteContext, id: string): Promise<RunRecord> {
  const run = /^\d+$/.test(id) ? await ctx.store.runs.find(Number(id)) : undefined;
  if (!run) throw notFound(`Run "${id}"`);
  return run;
}

export const runRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ["runs"];

  app.get(
    "/api/runs",
    {
      schema: {
        summary: "List runs, newest first.",
        tags,
        querystring: RunsQuery,
        response: { 200: RunSummary.array() },
      },
    },
    async (req) => {
      const q = req.query;
      let workflowId: number | undefined;
      if (q.workflow) {
        const w = await ctx.store.workflows.find(/^\d+$/.test(q.workflow) ? Number(q.workflow) : q.workflow);
        if (!w) return [];
        workflowId = w.id;
      }
      const runs = await ctx.store.runs.list({ workflowId, status: q.status, limit: q.limit });
      const title = triggerTitles(ctx.engine);
      return runs.map((r) => summaryOf(r, title));
    },
  );

  app.get(
    "/api/runs/:id",
    {
      schema: {
        summary: "One run with the trigger event and each step's input, output and error.",
        tags,
        params: IdParams,
        response: { 200: RunView },
      },
    },
    async (req) => {
      const run = await findRun(ctx, req.params.id);
      const { defaultVersion, reason, currentVersion } = await planReplay(ctx.store, run);
      const steps = await ctx.store.runs.steps(run.id);
      const replays = (await ctx.store.runs.list({ replayOf: run.id, limit: 20 })).map((r) => ({
        id: String(r.id),
        status: r.status,
      }));
      return viewOf(run, steps, { defaultVersion, reason, currentVersion }, triggerTitles(ctx.engine), {
        resends: await resends(ctx, run, steps),
        replays,
      });
    },
  );

  app.get(
    "/api/patients/:patientId/runs",
    {
      schema: {
        summary:
          "Export one patient's run history: every run whose trigger event or step data refers to the Cliniko patient, with its steps.",
        tags,
        params: PatientParams,
        response: { 200: PatientRunsExport },
      },
    },
    async (req) => {
      const title = triggerTitles(ctx.engine);
      const found = await exportPatient(ctx.store, req.params.patientId, ctx.actor(req));
      return { patientId: req.params.patientId, runs: found.map((r) => dataOf(r.run, r.steps, title)) };
    },
  );

  app.delete(
    "/api/patients/:patientId/runs",
    {
      schema: {
        summary:
          "Erase one patient's run history: the runs whose data refers to the Cliniko patient are deleted with their steps (queued or running ones are left and counted).",
        tags,
        params: PatientParams,
        response: { 200: PatientErased },
      },
    },
    async (req) => purgePatient(ctx.store, req.params.patientId, ctx.actor(req)),
  );

  app.post(
    "/api/runs/:id/replay",
    {
      schema: {
        summary:
          "Queue a new run with the same trigger event, from the failed step (default) or from the start, on the version the run used or the current one (default: current when the failed step has been changed since).",
        tags,
        params: IdParams,
        body: ReplayBody,
        response: { 201: ReplayResult },
      },
    },
    async (req, reply) => {
      const run = await findRun(ctx, req.params.id);
      if (!isRunEnded(run.status))
        throw conflict(`Run ${run.id} is still ${run.status}; replay it once it has finished.`);
      let result: Awaited<ReturnType<typeof replayRun>>;
      try {
        result = await replayRun(ctx.store, run, { fromStart: req.body?.from === "start", version: req.body?.version });
      } catch (err) {
        throw conflict((err as Error).message);
      }
      ctx.engine?.notify?.("run-queued");
      const { version, workflowVersion, reason } = result;
      return reply.code(201).send({
        ...summaryOf(await findRun(ctx, String(result.runId)), triggerTitles(ctx.engine)),
        replayedOn: { version, workflowVersion, reason },
      });
    },
  );
};
