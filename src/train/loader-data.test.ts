import assert from "node:assert/strict";
import { join } from "node:path";
import { after, it } from "node:test";
import { tempDir } from "../../test/paths.js";
import type { DataCase } from "../data/manifest.js";
import {
  add,
  type Graph,
  matmul,
  reduceMean,
  releaseSessions,
  reshape,
  type Value,
} from "../engine/index.js";
import { writeNifti } from "../io/nifti/write.js";
import { Volume } from "../volume/volume.js";
import { trainConfig } from "./config.js";
import { loaderData } from "./loader-data.js";
import type { ParamRef, Trainable } from "./trainable.js";
import { train } from "./trainer.js";

after(() => releaseSessions());

/** Small CT scans: odd cases are brighter (HU ≈ 60) than even ones (HU ≈ 20); label = odd. */
async function cohort(dir: string, n: number, from: number): Promise<DataCase[]> {
  const cases: DataCase[] = [];
  for (let c = from; c < from + n; c++) {
    const data = new Int16Array(8 * 8 * 4);
    for (let q = 0; q < data.length; q++) data[q] = (c % 2 ? 60 : 20) + ((q * 7 + c) % 11) - 5;
    const path = join(dir, `c${c}.nii.gz`);
    await writeNifti(path, new Volume({ data, dtype: "int16", shape: [8, 8, 4] }));
    cases.push({
      id: `c${c}`,
      images: [path],
      contrasts: ["image"],
      masks: {},
      labels: Float32Array.of(c % 2),
      patient: `c${c}`,
      line: c + 2,
    });
  }
  return cases;
}

/** Mean intensity of the axial stack → one logit. */
function meanModel(): Trainable {
  const params = new Map<string, ParamRef>([
    ["head.weight", { shape: [1, 1], data: Float32Array.of(0.1) }],
    ["head.bias", { shape: [1], data: Float32Array.of(0) }],
  ]);
  const p = (g: Graph, n: string): Value =>
    g.param(n, params.get(n)!.shape, params.get(n)!.data, { trainable: true });
  return {
    params: () => params,
    forward(g, inputs) {
      const x = inputs.axial!;
      const m = reshape(
        reduceMean(
          x,
          x.shape.slice(1).map((_, i) => i + 1),
        ),
        [x.shape[0]!, 1],
      );
      return { logits: add(matmul(m, p(g, "head.weight")), p(g, "head.bias")) };
    },
  };
}

it("trains from the data layer's loader (NIfTI cases → prepared axial stacks)", async (t) => {
  const dir = tempDir(t);
  const data = loaderData({
    findings: ["bright"],
    train: await cohort(dir, 8, 0),
    val: await cohort(dir, 6, 100),
    loader: { config: { size: [6, 6], slices: 3 }, batchSize: 4, workers: 0 },
  });
  assert.equal(data.stepsPerEpoch, 2);
  const res = await train(
    meanModel(),
    data,
    trainConfig({
      runDir: join(dir, "run"),
      train: { epochs: 15, lr: 0.3, groups: [], warmupEpochs: 0, earlyStopping: { patience: 0 } },
    }),
    { progress: null },
  );
  assert.equal(res.status, "completed");
  assert.equal(res.history[res.history.length - 1]!.valMeanAuc, 1);
  assert.ok(res.history[14]!.trainLoss < res.history[0]!.trainLoss);
});
