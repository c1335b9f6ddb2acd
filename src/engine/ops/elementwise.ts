// Elementwise ops with numpy broadcasting: arithmetic, comparisons, Where, Cast, and unary math.
import { type DType, isFloat } from "../ir/dtype.js";
import type { Value } from "../ir/graph.js";
import { unbroadcast } from "./reduce.js";
import { apply1, attrStr, broadcastShapes, defineOp, fail, sameDtype } from "./registry.js";

export type Operand = Value | number;

function lift(a: Operand, b: Operand): [Value, Value] {
  if (typeof a === "number" && typeof b === "number") throw new Error("elementwise op on two numbers");
  const av = typeof a === "number" ? (b as Value).graph.scalar(a, (b as Value).dtype) : a;
  const bv = typeof b === "number" ? av.graph.scalar(b, av.dtype) : b;
  return [av, bv];
}

const binaryInfer = (ins: readonly Value[]) => {
  const dtype = sameDtype(ins);
  return [{ shape: broadcastShapes(...ins.map((x) => x.shape)), dtype }];
};

const compareInfer = (ins: readonly Value[]) => {
  sameDtype(ins);
  return [{ shape: broadcastShapes(...ins.map((x) => x.shape)), dtype: "bool" as DType }];
};

type BinaryRule = (dy: Value, a: Value, b: Value, y: Value) => [Value | undefined, Value | undefined];

const binaryRules: Record<string, BinaryRule> = {
  Add: (dy) => [dy, dy],
  Sub: (dy) => [dy, neg(dy)],
  Mul: (dy, a, b) => [mul(dy, b), mul(dy, a)],
  Div: (dy, a, b) => [div(dy, b), neg(div(mul(dy, a), mul(b, b)))],
  // d(a^b)/da = b·a^(b-1); d/db = a^b·log a
  Pow: (dy, a, b, y) => [mul(dy, mul(b, pow(a, sub(b, 1)))), mul(dy, mul(y, log(a)))],
};

for (const [op, rule] of Object.entries(binaryRules)) {
  defineOp(op, {
    infer: binaryInfer,
    grad: ({ node, dys: [dy], needs }) => {
      const [a, b] = node.inputs as [Value, Value];
      const [da, db] = rule(dy as Value, a, b, node.outputs[0] as Value);
      return [
        needs[0] && da ? unbroadcast(da, a.shape) : undefined,
        needs[1] && db ? unbroadcast(db, b.shape) : undefined,
      ];
    },
  });
}

for (const op of ["Less", "Greater", "Equal", "LessOrEqual", "GreaterOrEqual"]) {
  defineOp(op, { infer: compareInfer, grad: () => [undefined, undefined] });
}

export const add = (a: Operand, b: Operand): Value => apply1("Add", lift(a, b));
export const sub = (a: Operand, b: Operand): Value => apply1("Sub", lift(a, b));
export const mul = (a: Operand, b: Operand): Value => apply1("Mul", lift(a, b));
export const div = (a: Operand, b: Operand): Value => apply1("Div", lift(a, b));
export const pow = (a: Operand, b: Operand): Value => apply1("Pow", lift(a, b));
export const less = (a: Operand, b: Operand): Value => apply1("Less", lift(a, b));
export const greater = (a: Operand, b: Operand): Value => apply1("Greater", lift(a, b));
export const equal = (a: Operand, b: Operand): Value => apply1("Equal", lift(a, b));

// ---------- Where
defineOp("Where", {
  infer: ([c, a, b]) => {
    if ((c as Value).dtype !== "bool") fail("condition must be bool");
    const dtype = sameDtype([a as Value, b as Value]);
    return [{ shape: broadcastShapes((c as Value).shape, (a as Value).shape, (b as Value).shape), dtype }];
  },
  grad: ({ node, dys: [dy], needs }) => {
    const [c, a, b] = node.inputs as [Value, Value, Value];
    const d = dy as Value;
    const zero = d.graph.scalar(0, d.dtype);
    return [
      undefined,
      needs[1] ? unbroadcast(where(c, d, zero), a.shape) : undefined,
      needs[2] ? unbroadcast(where(c, zero, d), b.shape) : undefined,
    ];
  },
});

export function where(cond: Value, a: Operand, b: Operand): Value {
  const [av, bv] = lift(a, b);
  return apply1("Where", [cond, av, bv]);
}

// ---------- Cast
defineOp("Cast", {
  infer: ([x], a) => [{ shape: (x as Value).shape, dtype: attrStr(a, "to", "float32") as DType }],
  onnxAttrs: { to: "dtype" },
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    return [isFloat(x.dtype) ? cast(dy as Value, x.dtype) : undefined];
  },
});

export function cast(x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return apply1("Cast", [x], { to });
}

// ---------- unary math
type UnaryRule = (dy: Value, x: Value, y: Value) => Value;

const unaryRules: Record<string, UnaryRule> = {
  Neg: (dy) => neg(dy),
  Exp: (dy, _x, y) => mul(dy, y),
  Log: (dy, x) => div(dy, x),
  Sqrt: (dy, _x, y) => div(dy, mul(y, 2)),
  Tanh: (dy, _x, y) => mul(dy, sub(1, mul(y, y))),
  Sigmoid: (dy, _x, y) => mul(dy, mul(y, sub(1, y))),
  Relu: (dy, x) => where(greater(x, 0), dy, 0),
  Abs: (dy, x) => where(less(x, 0), neg(dy), dy),
  // d erf(x)/dx = 2/√π · exp(−x²)
  Erf: (dy, x) => mul(dy, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
};

for (const [op, rule] of Object.entries(unaryRules)) {
  defineOp(op, {
    infer: ([x]) => {
      if (!isFloat((x as Value).dtype) && op !== "Neg" && op !== "Abs") fail("needs a float input");
      return [{ shape: (x as Value).shape, dtype: (x as Value).dtype }];
    },
    grad: ({ node, dys: [dy] }) => [rule(dy as Value, node.inputs[0] as Value, node.outputs[0] as Value)],
  });
}

export const neg = (x: Value): Value => apply1("Neg", [x]);
export const exp = (x: Value): Value => apply1("Exp", [x]);
export const log = (x: Value): Value => apply1("Log", [x]);
export const sqrt = (x: Value): Value => apply1("Sqrt", [x]);
export const tanh = (x: Value): Value => apply1("Tanh", [x]);
export const sigmoid = (x: Value): Value => apply1("Sigmoid", [x]);
export const relu = (x: Value): Value => apply1("Relu", [x]);
export const abs = (x: Value): Value => apply1("Abs", [x]);
export const erf = (x: Value): Value => apply1("Erf", [x]);

// ---------- compositions (no rules of their own: autodiff goes through their parts)

// ---------- GELU: ONNX Gelu (opset 20) for float32, with its own gradient rule, so the forward is
// one fused kernel and the backward a handful of passes; float64 uses the composition (ORT has no
// float64 Erf, and its Gelu kernel is float32 only).
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

defineOp("Gelu", {
  infer: ([x]) => {
    if ((x as Value).dtype !== "float32") fail("Gelu is float32 only (float64 graphs use the composition)");
    return [{ shape: (x as Value).shape, dtype: (x as Value).dtype }];
  },
  onnxAttrs: { approximate: "string" },
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    const d = dy as Value;
    if (attrStr(node.attrs, "approximate", "none") === "tanh") {
      // d/dx = 0.5(1 + th) + 0.5·x·(1 − th²)·√(2/π)·(1 + 3·0.044715·x²)
      const x2 = mul(x, x);
      const th = tanh(mul(mul(x, add(mul(x2, 0.044715), 1)), SQRT_2_OVER_PI));
      const dth = mul(sub(1, mul(th, th)), mul(add(mul(x2, 3 * 0.044715), 1), 0.5 * SQRT_2_OVER_PI));
      return [mul(d, add(mul(add(th, 1), 0.5), mul(x, dth)))];
    }
    // d/dx = Φ(x) + x·φ(x) = ½·(1 + erf(a) + (2/√π)·a·e^(−a²)) with a = x/√2, in few full-size
    // passes (the standard ops have no fused GELU gradient): a·e^(−a²) as a / e^(a²) (no Neg
    // pass; e^(a²) = ∞ gives the right limit 0), and the ½ on the upstream gradient, where ORT
    // folds it into the producing MatMul's alpha.
    const a = mul(x, Math.SQRT1_2);
    const r = div(a, exp(mul(a, a)));
    return [mul(mul(d, 0.5), add(add(erf(a), mul(r, 2 / Math.sqrt(Math.PI))), 1))];
  },
});

/** Exact GELU: x·Φ(x) = x·(1 + erf(x/√2))/2. */
export function gelu(x: Value): Value {
  if (x.dtype === "float32") return apply1("Gelu", [x], { approximate: "none" });
  return mul(mul(x, add(erf(div(x, Math.SQRT2)), 1)), 0.5);
}

/** Tanh-approximated GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(x: Value): Value {
  if (x.dtype === "float32") return apply1("Gelu", [x], { approximate: "tanh" });
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/** SiLU (swish): x·sigmoid(x). */
export function silu(x: Value): Value {
  return mul(x, sigmoid(x));
}
