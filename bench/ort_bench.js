#!/usr/bin/env node
// ort_bench.js - ONNX Runtime side of bench/bench_vs_ort.py: times session.run.
//
//   node bench/ort_bench.js MODEL.onnx NAME=FILE.npy [...] [--threads N] [--repeat N]
//        [--warmup N] [--opt all|extended|basic|disabled] [--profile]
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
// --profile turns on ORT's profiler for the timed runs and prints, before the JSON line,
// one line per node of the optimised graph: median kernel time in microseconds over the
// timed runs, op type and node name (compare with `edgert bench --profile`; the
// profiler's own overhead is in the JSON line's times, so time with and without it).
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

// onnxruntime-node's endProfiling() does not return the file's name: the newest
// PREFIX_*.json in its folder is it.
function endProfiling(session, prefix) {
  session.endProfiling();
  const path = require('path');
  const dir = path.dirname(prefix), base = path.basename(prefix) + '_';
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no ORT profile ${prefix}_*.json written`);
  return files[0];
}

// Per node of ORT's optimised graph: the median of its kernel times over the runs after
// the first `skip` (the warm-up runs and the session's own first run), in run order.
function printProfile(file, skip) {
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const nodes = new Map();
  let run = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') run++;
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) nodes.set(name, { op: e.args.op_name, times: [], order: nodes.size });
    nodes.get(name).times.push({ run, us: e.dur });
  }
  let total = 0;
  for (const [name, n] of nodes) {
    const t = n.times.filter((x) => x.run >= skip).map((x) => x.us).sort((a, b) => a - b);
    if (!t.length) continue;
    const med = t[t.length >> 1];
    total += med;
    console.log(`ort-node ${med.toFixed(0).padStart(8)} us  ${n.op.padEnd(24)} ${name}`);
  }
  console.log(`ort-node ${total.toFixed(0).padStart(8)} us  (sum of node medians)`);
}

async function main() {
  const args = process.argv.slice(2);
  const pos = [];
  let threads = 0, repeat = 10, warmup = 2, opt = 'all', profile = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = parseInt(args[++i], 10);
    else if (args[i] === '--repeat') repeat = Math.max(1, parseInt(args[++i], 10));
    else if (args[i] === '--warmup') warmup = Math.max(0, parseInt(args[++i], 10));
    else if (args[i] === '--opt') opt = args[++i];
    else if (args[i] === '--profile') profile = true;
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
  if (profile) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = require('os').tmpdir() + '/ort_bench_profile';
  }
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
  if (profile) printProfile(endProfiling(session, opts.profileFilePrefix), warmup + 1);
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
