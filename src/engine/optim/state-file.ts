/**
 * Optimizer state on disk: one safetensors file holding the state tensors, with the JSON config
 * in its `__metadata__` under "medadapt.optimizer" — one file, so it is written atomically whole.
 */
import { InputError } from "../../errors.js";
import { readSafetensors, type Tensor, writeSafetensors } from "../../io/safetensors/index.js";
import type { Optimizer, OptimizerStateConfig } from "./optimizer.js";

const CONFIG_KEY = "medadapt.optimizer";

// biome-ignore lint/suspicious/noExplicitAny: any optimizer's hyperparameters
type AnyOptimizer = Optimizer<any>;

export async function saveOptimizerState(path: string, opt: AnyOptimizer): Promise<void> {
  const { config, tensors } = opt.stateDict();
  await writeSafetensors(path, tensors, { [CONFIG_KEY]: JSON.stringify(config) });
}

/** Loads state written by `saveOptimizerState` into `opt`, validating names and shapes. */
export async function loadOptimizerState(path: string, opt: AnyOptimizer): Promise<void> {
  const file = await readSafetensors(path);
  try {
    const json = file.metadata[CONFIG_KEY];
    if (json === undefined)
      throw new InputError(`no "${CONFIG_KEY}" entry in the metadata (not an optimizer state)`, path);
    let config: OptimizerStateConfig;
    try {
      config = JSON.parse(json);
    } catch (err) {
      throw new InputError(`"${CONFIG_KEY}" metadata is not valid JSON (${(err as Error).message})`, path);
    }
    const tensors = new Map<string, Tensor>();
    for (const name of file.names()) tensors.set(name, await file.tensor(name));
    opt.loadStateDict({ config, tensors }, path);
  } finally {
    await file.close();
  }
}
