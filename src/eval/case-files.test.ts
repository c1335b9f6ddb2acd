import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { readEvalInputs } from "./case-files.js";

const MANIFEST = [
  "id,image,ich,sdh,split,report",
  'c1,scans/c1.nii.gz,1,0,test,"Acute SDH, left; ""no"" shift"',
  'c2,scans/c2.nii.gz,0,1,test,"Line one\nline two, with comma"',
  "c3,scans/c3.nii.gz,0,,train,normal",
  "c4,scans/c4.nii.gz,1,0,test,",
].join("\n");

// A split column in the predictions too: never taken for a finding.
const PRED = [
  "id,ich,sdh,extra,split",
  "c2,0.1,0.8,5,test",
  "c1,0.9,0.25,5,test",
  "c3,0.4,0.5,5,train",
  "c4,1,0,5,test",
].join("\r\n");

function files(t: { after(fn: () => void): void }, contents: Record<string, string>): Record<string, string> {
  const dir = tempDir(t);
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(contents)) {
    out[name] = join(dir, name);
    writeFileSync(out[name], text);
  }
  return out;
}

test("joins predictions and a manifest with quoted fields on id; label columns are the shared ones", async (t) => {
  const f = files(t, { "m.csv": MANIFEST, "p.csv": PRED });
  const r = await readEvalInputs({ predictions: f["p.csv"]!, labels: f["m.csv"]! });
  assert.deepEqual(r.ids, ["c1", "c2", "c3", "c4"]);
  assert.deepEqual(r.findings, ["ich", "sdh"]);
  assert.deepEqual(Array.from(r.labels.data), [1, 0, 0, 1, 0, Number.NaN, 1, 0]);
  assert.deepEqual(Array.from(r.probs.data), [0.9, 0.25, 0.1, 0.8, 0.4, 0.5, 1, 0]);
  const test = await readEvalInputs({ predictions: f["p.csv"]!, labels: f["m.csv"]!, split: "test" });
  assert.deepEqual(test.ids, ["c1", "c2", "c4"]);
  assert.equal(test.otherSplit, 1);
});

/** Runs readEvalInputs and returns the InputError message it must throw. */
async function problem(
  t: { after(fn: () => void): void },
  manifest: string,
  pred: string,
  extra: { split?: string; compare?: string } = {},
): Promise<{ message: string; f: Record<string, string> }> {
  const f = files(t, { "m.csv": manifest, "p.csv": pred, "q.csv": extra.compare ?? PRED });
  try {
    await readEvalInputs({
      predictions: f["p.csv"]!,
      labels: f["m.csv"]!,
      ...(extra.compare ? { compare: f["q.csv"]! } : {}),
      ...(extra.split ? { split: extra.split } : {}),
    });
  } catch (err) {
    assert.ok(err instanceof InputError, `not an InputError: ${err}`);
    return { message: err.message, f };
  }
  assert.fail("no error");
}

test("bad inputs are InputErrors naming the file and the problem", async (t) => {
  const cases: [
    string,
    string,
    RegExp,
    "p.csv" | "m.csv" | "q.csv",
    { split?: string; compare?: string }?,
  ][] = [
    [MANIFEST, "id,ich,sdh\nc1,0.9,0.2\nc2,0.1,0.8\nc3,0.4,0.5", /no prediction .* id 'c4'/, "p.csv"],
    [MANIFEST, `${PRED}\nc9,0.5,0.5,1,test`, /id 'c9' is not in the label file/, "p.csv"],
    [
      MANIFEST,
      PRED.replace("c3,0.4", "c3,abc"),
      /probability 'abc' for id 'c3', column 'ich' \(line 4\) is not a number/,
      "p.csv",
    ],
    [MANIFEST, PRED.replace("c3,0.4", "c3,NaN"), /'NaN' .* is not a number/, "p.csv"],
    [MANIFEST, PRED.replace("c3,0.4", "c3,1.2"), /probability 1.2 .* outside \[0, 1\]/, "p.csv"],
    [MANIFEST, PRED.replace("c3,0.4", "c3,-0.1"), /outside \[0, 1\]/, "p.csv"],
    [MANIFEST, PRED.replace("c3,0.4", "c3,"), /missing probability for id 'c3'/, "p.csv"],
    [MANIFEST, `${PRED}\nc1,0.3,0.3,1,test`, /duplicate id 'c1'/, "p.csv"],
    [MANIFEST, PRED.replace("c3,", ","), /missing id on line 4/, "p.csv"],
    [MANIFEST, "id,other\nc1,0.5", /no finding column in common/, "p.csv"],
    [MANIFEST, PRED.replace("id,", "case,"), /no 'id' column/, "p.csv"],
    [
      MANIFEST.replace("c3,scans/c3.nii.gz,0", "c3,scans/c3.nii.gz,2"),
      PRED,
      /label '2' .* not 0, 1 or empty/,
      "m.csv",
    ],
    [MANIFEST.replace("c4,", "c1,"), PRED, /duplicate id 'c1'/, "m.csv"],
    [MANIFEST, PRED, /no row has split 'val'/, "m.csv", { split: "val" }],
    [MANIFEST.replace(",split", ",fold"), PRED, /no 'split' column/, "m.csv", { split: "test" }],
    [MANIFEST.replace('"Line one', '"Line one"x'), PRED, /not a valid CSV file/, "m.csv"],
    [MANIFEST, "id,ich,ich\nc1,0.1,0.2", /column 'ich' appears twice/, "p.csv"],
    [MANIFEST, PRED, /no probability column 'sdh'/, "q.csv", { compare: "id,ich\nc1,0.5" }],
    [MANIFEST, PRED, /no prediction for 3 labelled/, "q.csv", { compare: "id,ich,sdh\nc1,0.5,0.5" }],
    [MANIFEST, "", /empty CSV file/, "p.csv"],
  ];
  for (const [manifest, pred, re, file, extra] of cases) {
    const { message, f } = await problem(t, manifest, pred, extra);
    assert.match(message, re);
    assert.ok(message.startsWith(`${f[file]}: `), `'${message}' should name ${file}`);
  }
});

test("a missing file is an InputError naming it", async () => {
  await assert.rejects(
    readEvalInputs({ predictions: "/nonexistent/p.csv", labels: "/nonexistent/m.csv" }),
    (err) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, /^\/nonexistent\/[pm]\.csv: cannot read file \(ENOENT\)/);
      return true;
    },
  );
});
