// The transformer stack shared by the ViT backbones: `count` identical pre-norm blocks named
// "0", "1", … (torch's ModuleList of layers, so checkpoint keys read `<stack>.<i>.…`), run in order.
import type { Value } from "../../engine/index.js";
import { VitBlock, type VitBlockSpec } from "../blocks/vit-block.js";
import { type BuildContext, Module } from "../module.js";

/** Child names of transformers' Dinov2Layer and DINOv3ViTLayer (pre-norm with LayerScale). */
export const DINO_BLOCK_NAMES = {
  norm1: "norm1",
  norm2: "norm2",
  attention: "attention",
  mlp: "mlp",
  ls1: "layer_scale1",
  ls2: "layer_scale2",
} as const;

export class VitBlocks extends Module {
  constructor(count: number, spec: VitBlockSpec) {
    super();
    for (let i = 0; i < count; i++) this.addModule(String(i), new VitBlock(spec));
  }

  /**
   * `cos`/`sin`: rotary tables handed to every block. Blocks are read from `children` at each call,
   * so one swapped in by `setModule` (an adapter) is the one that runs.
   */
  forward(ctx: BuildContext, x: Value, cos?: Value, sin?: Value): Value {
    const rope = cos && sin ? [cos, sin] : [];
    for (const block of this.children.values()) x = block.forward(ctx, x, ...rope);
    return x;
  }
}
