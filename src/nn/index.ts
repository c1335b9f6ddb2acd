// Neural-network modules and backbones built on the engine.
export { normalInit, resetInitSeed } from "./init.js";
export { Linear } from "./layers/linear.js";
export { BuildContext, Module, Parameter } from "./module.js";
