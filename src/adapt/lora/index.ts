// LoRA (Hu et al. 2021) in PEFT's layout: one register call.
import { registerAdapter } from "../registry.js";
import { type LoraConfig, loraConfigFrom, loraConfigJson } from "./config.js";
import { injectLora, loraTensors } from "./model.js";

export {
  LORA_DEFAULT_TARGETS,
  type LoraConfig,
  loraConfigFrom,
  loraConfigJson,
  loraScaling,
} from "./config.js";
export { LoraLayer } from "./layer.js";
export { injectLora } from "./model.js";

registerAdapter<LoraConfig>({
  name: "lora",
  peftType: "LORA",
  configFrom: loraConfigFrom,
  inject: injectLora,
  toJson: loraConfigJson,
  tensors: loraTensors,
});
