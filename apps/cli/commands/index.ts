import type { Command } from "../command.js";
import { benchCommand } from "./bench.js";
import { convert } from "./convert.js";
import { dataset } from "./dataset.js";
import { demo } from "./demo.js";
import { embed } from "./embed.js";
import { evalCommand } from "./eval.js";
import { exportCommand } from "./export.js";
import { info } from "./info.js";
import { models } from "./models.js";
import { phantom } from "./phantom.js";
import { predictCommand } from "./predict.js";
import { pretrainCommand } from "./pretrain.js";
import { reportCommand } from "./report.js";
import { series } from "./series.js";
import { tensors } from "./tensors.js";
import { trainCommand } from "./train.js";

/** Every subcommand, in the order `medadapt --help` lists them. Add one line per command. */
export const commands: Command[] = [
  demo,
  info,
  convert,
  series,
  evalCommand,
  phantom,
  tensors,
  embed,
  models,
  dataset,
  trainCommand,
  predictCommand,
  exportCommand,
  benchCommand,
  reportCommand,
  pretrainCommand,
];
