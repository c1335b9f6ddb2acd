// The added-parameter fraction: parameters an adapter adds (low-rank factors, routers) divided by
// the parameters of the backbone it adapts (the model before injection, task heads excluded).
// MoLRE's paper stays below 0.5 %, so a configuration above that gets a warning.

export const FRACTION_WARN = 0.005;

export interface ParamSummary {
  method: string;
  /** Parameters of the backbone before injection, task heads (modules_to_save) excluded. */
  backboneParams: number;
  /** Parameters the method added (adapter tensors only; heads are not counted). */
  addedParams: number;
  /** addedParams / backboneParams. */
  fraction: number;
  /** Parameters that will receive gradients (adapters, heads, or everything for full fine-tuning). */
  trainableParams: number;
  /** Modules the method wrapped. */
  targets: string[];
  warnings: string[];
}

export function summarize(
  method: string,
  backboneParams: number,
  addedParams: number,
  trainableParams: number,
  targets: string[],
): ParamSummary {
  const fraction = backboneParams > 0 ? addedParams / backboneParams : 0;
  const warnings: string[] = [];
  if (fraction > FRACTION_WARN) {
    warnings.push(
      `${method} adds ${addedParams} parameters, ${(fraction * 100).toFixed(3)} % of the backbone's ${backboneParams} (above 0.5 %)`,
    );
  }
  return { method, backboneParams, addedParams, fraction, trainableParams, targets, warnings };
}

/** Parameters a LoRA adapter adds to one layer: r·(d_in·kernel + d_out). */
export function loraLayerParams(dIn: number, dOut: number, r: number, kernelSize = 1): number {
  return r * dIn * kernelSize + dOut * r;
}

/** Parameters a MoLRE adapter adds to one linear layer: K LoRA experts plus the router W_g (K×d_in). */
export function molreLayerParams(dIn: number, dOut: number, r: number, k: number): number {
  return k * loraLayerParams(dIn, dOut, r) + k * dIn;
}
