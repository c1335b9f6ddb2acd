// A small ResNet-style 3-D CNN: strided stem, stages of basic residual blocks (two 3³ convs,
// 1³ projection shortcut when the shape changes), global average pooling. Tokens = the final
// feature map's voxels, pooler = their mean.
import { add, reduceMean, relu, reshape, transpose, type Value } from "../../engine/index.js";
import { Conv } from "../layers/conv.js";
import { type BuildContext, Container, Module } from "../module.js";
import { type BackboneOutputs, VisionBackbone } from "./backbone.js";

export interface Cnn3dConfig {
  in_channels: number;
  /** Channels of each stage; every stage after the first halves the resolution. */
  widths: number[];
  /** Residual blocks per stage. */
  depths: number[];
}

class BasicBlock3d extends Module {
  readonly projected: boolean;

  constructor(cin: number, cout: number, stride: number) {
    super();
    const s = [stride, stride, stride];
    this.addModule("conv1", new Conv(cin, cout, [3, 3, 3], { stride: s, padding: [1, 1, 1] }));
    this.addModule("conv2", new Conv(cout, cout, [3, 3, 3], { padding: [1, 1, 1] }));
    this.projected = stride !== 1 || cin !== cout;
    if (this.projected) this.addModule("downsample", new Conv(cin, cout, [1, 1, 1], { stride: s }));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const h = this.getModule("conv2").forward(ctx, relu(this.getModule("conv1").forward(ctx, x)));
    const skip = this.projected ? this.getModule("downsample").forward(ctx, x) : x;
    return relu(add(h, skip));
  }
}

export class Cnn3d extends VisionBackbone {
  readonly arch = "cnn3d";
  readonly pooler = "global average of the last feature map";
  readonly hiddenSize: number;
  readonly numChannels: number;

  constructor(readonly config: Cnn3dConfig) {
    super();
    const c = config;
    if (c.widths.length !== c.depths.length || c.widths.length === 0) {
      throw new Error("cnn3d: widths and depths must be non-empty and of equal length");
    }
    this.numChannels = c.in_channels;
    this.hiddenSize = c.widths[c.widths.length - 1] as number;
    const w0 = c.widths[0] as number;
    this.addModule("stem", new Conv(c.in_channels, w0, [3, 3, 3], { stride: [2, 2, 2], padding: [1, 1, 1] }));
    const stages = this.addModule("layers", new Container());
    let cin = w0;
    c.widths.forEach((w, s) => {
      const stage = stages.add(String(s), new Container());
      for (let i = 0; i < (c.depths[s] as number); i++) {
        stage.add(String(i), new BasicBlock3d(cin, w, i === 0 && s > 0 ? 2 : 1));
        cin = w;
      }
    });
  }

  embed(ctx: BuildContext, volume: Value): BackboneOutputs {
    let x = relu(this.getModule("stem").forward(ctx, volume));
    this.config.widths.forEach((_, s) => {
      for (let i = 0; i < (this.config.depths[s] as number); i++)
        x = this.getModule(`layers.${s}.${i}`).forward(ctx, x);
    });
    const [b, c] = x.shape as [number, number];
    const tokens = transpose(reshape(x, [b, c, -1]), [0, 2, 1]);
    return { lastHiddenState: tokens, poolerOutput: reduceMean(tokens, [1], false) };
  }
}
