// Child process that runs one task of the suite and sends its result to the parent, so each row starts
// with a fresh heap and its peak RSS is its own.
import { compareRow } from "./compare.mjs";
import { slowProcessorRun } from "./memory.mjs";
import { stateStoreRow } from "./state-stores.mjs";
import { transactionalRow } from "./transactional.mjs";

const tasks = {
  compare: async ({ source, row }) => compareRow(await loadSource(source), row),
  state: ({ store, row }) => stateStoreRow(store, row),
  transactional: ({ row }) => transactionalRow(row),
  memory: async ({ source, row }) => slowProcessorRun(await loadSource(source), row),
};

function loadSource(name) {
  return import(`../sources/${name}.mjs`);
}

process.once("message", async (task) => {
  let reply;
  try {
    const result = await tasks[task.kind](task);
    reply = { result: { ...result, maxRssMiB: process.resourceUsage().maxRSS / 1024 } };
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  // Exits even when a client library keeps a socket or timer alive.
  process.send(reply, () => process.exit(0));
});
