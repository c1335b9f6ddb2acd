// NIfTI I/O speed and memory on a synthetic CT-like int16 volume (512×512×300; --quick: 256×256×100).
// Usage: npm run bench:io [-- --json] [--quick] [--repeat 3] [--fflate]
// Reported: .nii.gz read throughput (decoded MB/s) and its ratio to `gzip -dc FILE > /dev/null`
// timed in the same run, .nii read, .nii and .nii.gz write, reorientation RAS→LPI, trilinear
// resampling to 1 mm isotropic (M output voxels/s), and peak RSS while reading (child process:
// maxRSS after reading minus the RSS just before) as a multiple of the decoded voxel bytes.
// --fflate adds in-memory inflate/deflate (level 1) by node:zlib and by fflate on the same bytes,
// the measurement behind using node:zlib.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import * as fflate from "fflate";
import { readNifti, reorient, resample, Volume, writeNifti } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    repeat: { type: "string", default: "3" },
    "rss-child": { type: "string" },
    fflate: { type: "boolean", default: false },
  },
});

if (values["rss-child"] !== undefined) {
  // Child mode: read one file; report the resident set before and its high-water mark after,
  // in bytes. (maxRSS before reading would include start-up peaks that a read may stay under.)
  const before = process.memoryUsage().rss;
  const vol = await readNifti(values["rss-child"]);
  const after = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ before, after, bytes: vol.data.byteLength })}\n`);
  process.exit(0);
}

const [nx, ny, nz] = values.quick ? [256, 256, 100] : [512, 512, 300];
const repeat = Math.max(1, Number(values.repeat));
const spacing = [0.45, 0.45, 2.5];

/**
 * A head-like CT: air, a skull shell, brain with smooth low-frequency variation and scanner-like
 * noise, stored as HU + 1024 with intercept −1024 (as DICOM CT usually is). Smooth structure plus
 * noise gives gzip a realistic ratio (~2–3×), unlike zeros or white noise.
 */
function makeCT(): Volume {
  const data = new Int16Array(nx * ny * nz);
  const fx = Float64Array.from({ length: nx }, (_, x) => 12 * Math.sin(x / 23));
  const fy = Float64Array.from({ length: ny }, (_, y) => 9 * Math.cos(y / 31));
  let seed = 0x9e3779b9;
  const cx = nx / 2;
  const cy = ny / 2;
  const cz = nz / 2;
  const [rx, ry, rz] = [nx * 0.42, ny * 0.47, nz * 0.46];
  for (let z = 0; z < nz; z++) {
    const dz = (z - cz) / rz;
    const fz = 6 * Math.sin(z / 17);
    for (let y = 0; y < ny; y++) {
      const dy = (y - cy) / ry;
      const rowBase = (z * ny + y) * nx;
      for (let x = 0; x < nx; x++) {
        const dx = (x - cx) / rx;
        const r2 = dx * dx + dy * dy + dz * dz;
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        const noise = ((seed >>> 0) % 25) - 12;
        let hu: number;
        if (r2 > 1) hu = -1000 + (noise >> 2);
        else if (r2 > 0.86) hu = 900 + 3 * noise;
        else hu = 35 + fx[x]! + fy[y]! + fz + noise;
        data[rowBase + x] = Math.round(hu) + 1024;
      }
    }
  }
  const affine = [spacing[0]!, 0, 0, -100, 0, spacing[1]!, 0, -120, 0, 0, spacing[2]!, -300, 0, 0, 0, 1];
  return new Volume({
    data,
    dtype: "int16",
    shape: [nx, ny, nz],
    affine,
    scaling: { slope: 1, intercept: -1024 },
  });
}

interface Timing {
  ms: number;
  cpuMs: number;
}

async function best(fn: () => Promise<unknown> | unknown, n = repeat): Promise<Timing> {
  let out: Timing = { ms: Number.POSITIVE_INFINITY, cpuMs: 0 };
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (ms < out.ms) out = { ms, cpuMs: (c.user + c.system) / 1000 };
  }
  return out;
}

/** `gzip -dc FILE > /dev/null`: wall time from here, CPU time from the shell's `times`. */
function gzipDc(file: string): Timing {
  let out: Timing = { ms: Number.POSITIVE_INFINITY, cpuMs: 0 };
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = spawnSync("bash", ["-c", 'gzip -dc "$1" > /dev/null; times', "bash", file], {
      encoding: "utf8",
    });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`gzip -dc failed: ${r.stderr}`);
    const children = r.stdout.trim().split("\n").at(-1)!.trim().split(/\s+/);
    const sec = (s: string) => {
      const m = /(\d+)m([\d.]+)s/.exec(s);
      return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
    };
    if (ms < out.ms) out = { ms, cpuMs: (sec(children[0]!) + sec(children[1]!)) * 1000 };
  }
  return out;
}

function peakRss(file: string): { ratio: number; peakMB: number; baselineMB: number } {
  const script = fileURLToPath(import.meta.url);
  // Through a shell that forks (not execs) node: Linux carries the peak RSS of the process that
  // forked into the child's maxRSS across exec, so a direct child of this big process would start
  // with our peak. The shell is small, so the reader starts from its own.
  const r = spawnSync(
    "/bin/sh",
    ["-c", '"$0" "$@"; exit $?', process.execPath, script, "--rss-child", file],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`rss child failed: ${r.stderr}`);
  const { before, after, bytes } = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  return { ratio: (after - before) / bytes, peakMB: (after - before) / 1e6, baselineMB: before / 1e6 };
}

const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-io-"));
try {
  const t0 = performance.now();
  const vol = makeCT();
  const genMs = performance.now() - t0;
  const bytes = vol.data.byteLength;
  const MB = bytes / 1e6;
  const nii = join(dir, "ct.nii");
  const gz = join(dir, "ct.nii.gz");

  const writeNii = await best(() => writeNifti(nii, vol));
  const writeGz = await best(() => writeNifti(gz, vol));
  const gzSize = statSync(gz).size;
  const readGz = await best(() => readNifti(gz));
  const gunzip = gzipDc(gz);
  const readNii = await best(() => readNifti(nii));
  const rssGz = peakRss(gz);
  const rssNii = peakRss(nii);
  const reo = await best(() => reorient(vol, "LPI"));
  let outVoxels = 0;
  const res = await best(
    () => {
      outVoxels = resample(vol, { spacing: [1, 1, 1] }).voxels;
    },
    Math.min(repeat, 2),
  );

  let codecs: Record<string, number> | undefined;
  if (values.fflate) {
    const raw = new Uint8Array(vol.data.buffer, vol.data.byteOffset, vol.data.byteLength);
    const packed = gzipSync(raw, { level: 1 });
    const rate = (t: Timing) => MB / (t.cpuMs / 1000);
    codecs = {
      zlibInflateMBps: rate(await best(() => gunzipSync(packed))),
      fflateInflateMBps: rate(await best(() => fflate.gunzipSync(packed))),
      zlibDeflate1MBps: rate(await best(() => gzipSync(raw, { level: 1 }))),
      fflateDeflate1MBps: rate(await best(() => fflate.gzipSync(raw, { level: 1 }))),
    };
  }

  const mbps = (t: Timing) => MB / (t.ms / 1000);
  const result = {
    shape: [nx, ny, nz],
    dtype: "int16",
    decodedMB: MB,
    gzipMB: gzSize / 1e6,
    gzipRatio: bytes / gzSize,
    generateMs: genMs,
    readNiiGzMBps: mbps(readGz),
    readNiiGzMs: readGz.ms,
    readNiiGzCpuMs: readGz.cpuMs,
    gzipDcMBps: mbps(gunzip),
    gzipDcMs: gunzip.ms,
    gzipDcCpuMs: gunzip.cpuMs,
    readGzVsGzipDc: gunzip.ms / readGz.ms,
    // CPU time is less disturbed by other load on the machine than wall-clock time.
    readGzVsGzipDcCpu: gunzip.cpuMs / readGz.cpuMs,
    readNiiMBps: mbps(readNii),
    writeNiiMBps: mbps(writeNii),
    writeNiiGzMBps: mbps(writeGz),
    writeNiiGzCpuMs: writeGz.cpuMs,
    peakRssReadGzRatio: rssGz.ratio,
    peakRssReadNiiRatio: rssNii.ratio,
    rssBaselineMB: rssGz.baselineMB,
    reorientLPIMs: reo.ms,
    resampleOutputVoxels: outVoxels,
    resampleMs: res.ms,
    resampleMVoxelsPerS: outVoxels / 1e6 / (res.ms / 1000),
    repeat,
    ...codecs,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const f = (v: number, d = 1) => v.toFixed(d);
    const rows: [string, string, string][] = [
      [
        "volume",
        `${nx}×${ny}×${nz} int16, ${f(MB)} MB`,
        `gzip ${f(result.gzipMB)} MB (${f(result.gzipRatio, 2)}×)`,
      ],
      [
        "read .nii.gz",
        `${f(result.readNiiGzMBps)} MB/s`,
        `${f(readGz.ms, 0)} ms, cpu ${f(readGz.cpuMs, 0)} ms`,
      ],
      [
        "gzip -dc > /dev/null",
        `${f(result.gzipDcMBps)} MB/s`,
        `${f(gunzip.ms, 0)} ms, cpu ${f(gunzip.cpuMs, 0)} ms`,
      ],
      [
        "read .nii.gz / gzip -dc",
        `${f(result.readGzVsGzipDc, 2)}×`,
        `wall-clock; by CPU time ${f(result.readGzVsGzipDcCpu, 2)}×; target ≥ 0.8`,
      ],
      ["read .nii", `${f(result.readNiiMBps)} MB/s`, `${f(readNii.ms, 0)} ms`],
      ["write .nii", `${f(result.writeNiiMBps)} MB/s`, `${f(writeNii.ms, 0)} ms`],
      [
        "write .nii.gz (level 1)",
        `${f(result.writeNiiGzMBps)} MB/s`,
        `${f(writeGz.ms, 0)} ms, cpu ${f(writeGz.cpuMs, 0)} ms`,
      ],
      [
        "peak RSS reading .nii.gz",
        `${f(rssGz.ratio, 2)}× volume`,
        `${f(rssGz.peakMB)} MB above baseline, target ≤ 2.5×`,
      ],
      ["peak RSS reading .nii", `${f(rssNii.ratio, 2)}× volume`, `${f(rssNii.peakMB)} MB above baseline`],
      ["reorient RAS→LPI", `${f(reo.ms, 0)} ms`, `${f(MB / (reo.ms / 1000))} MB/s`],
      [
        "resample → 1 mm (linear)",
        `${f(result.resampleMVoxelsPerS)} M voxels/s`,
        `${outVoxels} voxels in ${f(res.ms, 0)} ms, target ≥ 40`,
      ],
    ];
    if (codecs)
      rows.push(
        [
          "inflate in memory (cpu)",
          `zlib ${f(codecs.zlibInflateMBps!)} MB/s`,
          `fflate ${f(codecs.fflateInflateMBps!)} MB/s`,
        ],
        [
          "deflate level 1 (cpu)",
          `zlib ${f(codecs.zlibDeflate1MBps!)} MB/s`,
          `fflate ${f(codecs.fflateDeflate1MBps!)} MB/s`,
        ],
      );
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    process.stdout.write(
      `NIfTI I/O benchmark (best of ${repeat}; wall-clock, machine load affects all rows alike)\n${rows
        .map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`)
        .join("\n")}\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
