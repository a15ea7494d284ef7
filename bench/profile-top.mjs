// Top self-time functions of V8 CPU profiles (from `pnpm bench -- --profile` or `node --cpu-prof`).
// Usage: node bench/profile-top.mjs <file.cpuprofile>... [--top 25] [--filter packages/]
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, filter: { type: "string" } },
});

for (const file of positionals) {
  const profile = JSON.parse(await readFile(file, "utf8"));
  const selfMicros = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // timeDeltas[i] is the time spent before samples[i]; it is charged to that sample's function.
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url ? `${url.replace(/^.*\/(node_modules|packages)\//, "$1/")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const rows = [...selfMicros]
    .filter(([key]) => !values.filter || key.includes(values.filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(values.top));
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [key, micros] of rows) {
    console.log(
      `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(1).padStart(8)} ms  ${key}`,
    );
  }
}
