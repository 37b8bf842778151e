#!/usr/bin/env node
// ort_bench.js - ONNX Runtime side of bench/bench_vs_ort.py: times session.run.
//
//   node bench/ort_bench.js MODEL.onnx NAME=FILE.npy [...] [--threads N] [--repeat N]
//        [--warmup N] [--opt all|extended|basic|disabled]
//
// Session options are those of scripts/ort_run.js (CPU EP, intraOpNumThreads = --threads,
// interOpNumThreads = 1, graphOptimizationLevel = --opt, default 'all'); that script only
// reports the best run, and the benchmark wants every run (median, p90), so this one
// prints a final JSON line {"ort_version", "load_ms", "cpu_per_wall", "times_ms": [...]}
// (cpu_per_wall: process CPU time / wall time over the timed runs, i.e. the cores ORT
// really kept busy) instead of
// writing outputs. Each time is one awaited session.run(feeds), timed with hrtime: it
// includes the N-API call and the output tensors' wrapping (a few microseconds), not
// the input reading or session creation. Reads float32/int64/int32 .npy only.
'use strict';
const fs = require('fs');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('ort_bench.js: cannot load onnxruntime-node (run `npm install --ignore-scripts` in the repo root)');
  process.exit(2);
}

const DTYPES = { '<f4': ['float32', Float32Array, 4], '<i8': ['int64', BigInt64Array, 8],
                 '<i4': ['int32', Int32Array, 4] };

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(`${file}: not an .npy file`);
  }
  const v1 = buf[6] === 1;
  const hlen = v1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = v1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = (header.match(/'descr'\s*:\s*'([^']+)'/) || [])[1];
  const shapeM = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!DTYPES[descr] || !shapeM || /'fortran_order'\s*:\s*True/.test(header)) {
    throw new Error(`${file}: unsupported .npy header ${header.trim()}`);
  }
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const [type, Arr, size] = DTYPES[descr];
  const count = shape.reduce((a, b) => a * b, 1);
  const raw = new ArrayBuffer(count * size); // aligned copy
  new Uint8Array(raw).set(buf.subarray(hstart + hlen, hstart + hlen + count * size));
  return new ort.Tensor(type, new Arr(raw), shape);
}

async function main() {
  const args = process.argv.slice(2);
  const pos = [];
  let threads = 0, repeat = 10, warmup = 2, opt = 'all';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = parseInt(args[++i], 10);
    else if (args[i] === '--repeat') repeat = Math.max(1, parseInt(args[++i], 10));
    else if (args[i] === '--warmup') warmup = Math.max(0, parseInt(args[++i], 10));
    else if (args[i] === '--opt') opt = args[++i];
    else pos.push(args[i]);
  }
  if (pos.length < 1) {
    console.error('usage: node bench/ort_bench.js MODEL.onnx NAME=FILE.npy... [--threads N] [--repeat N] [--warmup N] [--opt LEVEL]');
    process.exit(2);
  }
  const [model, ...specs] = pos;
  const feeds = {};
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    feeds[spec.slice(0, eq)] = readNpy(spec.slice(eq + 1));
  }
  const opts = { executionProviders: ['cpu'], graphOptimizationLevel: opt };
  if (threads > 0) { opts.intraOpNumThreads = threads; opts.interOpNumThreads = 1; }
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, opts);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  for (let r = 0; r < warmup; r++) await session.run(feeds);
  const times = [];
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) {
    const a = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  // CPU time / wall time over the timed runs: ~1 when ORT really runs on one thread.
  const cpu = process.cpuUsage(cpu0);
  const cpuPerWall = (cpu.user + cpu.system) / 1e3 / (Number(process.hrtime.bigint() - wall0) / 1e6);
  let version = '?';
  try { version = require('onnxruntime-node/package.json').version; } catch (e) { /* keep '?' */ }
  // Peak RSS of this process image (VmHWM): wait4's ru_maxrss would include the peak of
  // the driver that spawned it, which Linux carries across exec.
  let vmhwmMb = null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) vmhwmMb = Number(m[1]) / 1024;
  } catch (e) { /* not Linux: the driver falls back to wait4 */ }
  console.log(JSON.stringify({ ort_version: version, load_ms: loadMs, cpu_per_wall: cpuPerWall, vmhwm_mb: vmhwmMb, times_ms: times }));
}

main().catch((e) => { console.error('ort_bench.js:', e && e.message ? e.message : e); process.exit(1); });
