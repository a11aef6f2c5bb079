/**
 * A text flame summary of a V8 .cpuprofile (`node --cpu-prof`): the top frames by self time,
 * and the top files (node_modules packages folded into one line each) by self time.
 * Usage: node bench/profile-summary.ts <file.cpuprofile> [top=15]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, topText] = process.argv.slice(2);
if (!file) {
  console.error("Usage: node bench/profile-summary.ts <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topText ?? 15);
const profile = JSON.parse(readFileSync(file, "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** Where a frame lives: a package name for node_modules, a path relative to the repo otherwise. */
function place(url: string): string {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + 13).split("/");
    return `npm:${parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const src = url.search(/\/(src|bench|test)\//);
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
}

const frames = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const where = place(n.callFrame.url);
  const key = `${n.callFrame.functionName || "(anonymous)"}  ${where}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ""}`;
  frames.set(key, (frames.get(key) ?? 0) + us);
  files.set(where, (files.get(where) ?? 0) + us);
}
const show = (title: string, m: Map<string, number>) => {
  console.log(title);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
show(`Top ${top} frames by self time:`, frames);
show(`Top ${top} files/packages by self time:`, files);
