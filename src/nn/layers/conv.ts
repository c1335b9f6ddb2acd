// Convolutions (2D/3D) with PyTorch weight layout [out, in/groups, k…], and patch embedding as a
// convolution whose stride equals its kernel.
import { conv, reshape, transpose, type Value } from "../../engine/index.js";
import { lazyNormal } from "../init.js";
import { type BuildContext, Module, Parameter } from "../module.js";

export class Conv extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: readonly number[],
    readonly opts: { stride?: readonly number[]; padding?: readonly number[]; bias?: boolean } = {},
  ) {
    super();
    const fanIn = inChannels * kernel.reduce((a, b) => a * b, 1);
    this.weight = this.addParam(
      "weight",
      new Parameter(
        [outChannels, inChannels, ...kernel],
        lazyNormal(outChannels * fanIn, Math.sqrt(2 / fanIn)),
      ),
    );
    this.bias = (opts.bias ?? true) ? this.addParam("bias", new Parameter([outChannels])) : undefined;
  }

  forward(ctx: BuildContext, x: Value): Value {
    const pad = this.opts.padding ?? this.kernel.map(() => 0);
    return conv(x, ctx.param(this.weight), this.bias ? ctx.param(this.bias) : undefined, {
      strides: this.opts.stride ?? this.kernel.map(() => 1),
      pads: [...pad, ...pad],
    });
  }
}

/**
 * Patchify + project: a Conv with stride = kernel = patch. Its forward keeps the convolution's
 * layout [B, D, grid…], so that an adapter wrapping it (LoRA on the patch embedding) sees a plain
 * convolution; the owning model turns the result into tokens with `patchTokens`.
 */
export class PatchEmbed extends Conv {
  constructor(
    inChannels: number,
    dim: number,
    readonly patch: readonly number[],
  ) {
    super(inChannels, dim, patch, { stride: patch });
  }
}

/** Patch grid of an input's spatial size (trailing pixels that do not fill a patch are dropped). */
export function patchGrid(spatial: readonly number[], patch: readonly number[]): number[] {
  return spatial.map((s, i) => Math.floor(s / (patch[i] as number)));
}

/** [B, D, grid…] → [B, N, D] tokens, N = the grid's size, in row-major grid order. */
export function patchTokens(y: Value): Value {
  const [b, d] = y.shape as [number, number];
  return transpose(reshape(y, [b, d, -1]), [0, 2, 1]);
}

/** A lookup table `weight` [num, dim] (torch.nn.Embedding); ViTs read it whole as positions. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(num: number, dim: number) {
    super();
    this.weight = this.addParam("weight", new Parameter([num, dim], lazyNormal(num * dim, 0.02)));
  }

  forward(ctx: BuildContext): Value {
    return ctx.param(this.weight);
  }
}
