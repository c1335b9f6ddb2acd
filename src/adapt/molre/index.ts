// MoLRE (mixture of low-rank experts, arXiv:2603.00675; METHODS.md §1): one register call.
import { registerAdapter } from "../registry.js";
import { type MolreConfig, molreConfigFrom, molreConfigJson } from "./config.js";
import { injectMolre, molreTensors } from "./model.js";

export {
  MOLRE_DEFAULT_TARGETS,
  MOLRE_LITE,
  type MolreConfig,
  molreConfigFrom,
  molreConfigJson,
  type Routing,
} from "./config.js";
export { MolreLayer } from "./layer.js";
export { injectMolre } from "./model.js";
export {
  loadBalanceLoss,
  type RouterRecord,
  type RouterReportRow,
  routerGates,
  routerRecords,
  routerReport,
  routerStats,
} from "./router.js";

registerAdapter<MolreConfig>({
  name: "molre",
  peftType: "MOLRE",
  configFrom: molreConfigFrom,
  inject: injectMolre,
  toJson: molreConfigJson,
  tensors: molreTensors,
});
