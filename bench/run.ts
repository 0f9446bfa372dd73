/**
 * Runs the benchmarks: `npm run bench` runs all of them, `npm run bench diff`
 * (or `tsx bench/run.ts diff`) only those whose name contains the argument, and
 * `npm run bench diff replace` only the diff operations whose name contains "replace";
 * `npm run bench weight` prints what each example's first load weighs, `npm run bench ui`
 * times revue/ui's dataframe and controls against the same written with h() (`npm run bench ui typing`: the controls alone).
 * Each prints its own table of ratios; copy them into bench/RESULTS.md.
 */
const BENCHES: Record<string, () => Promise<void>> = {
  // `diff floor`: bench/churn-floor.ts, which reads diff.ts's churn workload.
  diff: async () => (process.argv[3] === "floor" ? (await import("./churn-floor.js")).runChurnFloor() : (await import("./diff.js")).runDiffBench(process.argv[3])),
  server: async () => (await import("./server.js")).runServerBench(process.argv[3]),
  memory: async () => (await import("./memory.js")).runMemoryBench(),
  cluster: async () => (await import("./cluster.js")).runClusterBench(),
  weight: async () => (await import("./weight.js")).runWeightBench(),
  page: async () => (await import("./page.js")).runPageBench(process.argv[3]),
  ui: async () => (await import("./ui.js")).runUiBench(process.argv[3]),
};

const filter = process.argv[2];
const chosen = Object.keys(BENCHES).filter((name) => !filter || name.includes(filter));
if (chosen.length === 0) {
  console.error(`No benchmark matches "${filter}". Known: ${Object.keys(BENCHES).join(", ")}.`);
  process.exit(1);
}
console.log(`Node ${process.version}, ${(await import("node:os")).cpus().length} cores`);
for (const name of chosen) await BENCHES[name]!();
