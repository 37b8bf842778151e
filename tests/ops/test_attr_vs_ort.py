#!/usr/bin/python3
"""Attribute mutations of the ONNX conformance models: edgert vs ONNX Runtime at load.

    /usr/bin/python3 tests/ops/test_attr_vs_ort.py --edgert build/edgert
        [--root ../shared/onnx-node-tests] [--workdir DIR] [--per-op 2] [-v]

For up to --per-op node-suite models per op (those with the most attributes first) that
both edgert and ORT load unmodified, the first node of the op is mutated four ways:
  rename  an attribute renamed to a near miss ('strides' -> 'stirdes')
  retype  an attribute stored with another type (INT -> FLOAT, INTS -> FLOATS, ...)
  drop    a required attribute (onnx.defs) removed
  stray   an attribute the op does not have added ('stray_attr', INT)
Each mutant is loaded by ORT (InferenceSession.create, node + onnxruntime-node) and by
edgert (`edgert inspect`, which imports, checks and shape-infers without running). A
refusal counts as "for such a reason" when its message speaks of an attribute.
Prints the agreement matrix (rows: mutation; columns: both refuse, only ORT refuses,
only edgert refuses, both load) and every "only ORT refuses" case; exits 1 if there is
one: every model ORT refuses for an attribute reason edgert must refuse too.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

try:
    import onnx
    import onnx.defs
    from onnx import helper
except ImportError:
    print("test_attr_vs_ort.py: needs the onnx Python module (python3-onnx)")
    sys.exit(2)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ATTR_REASON = re.compile(r"attribute", re.I)
ORT_LOADER = r"""
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  const paths = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
  const out = [];
  for (const p of paths) {
    try { const s = await ort.InferenceSession.create(p, {logSeverityLevel: 4});
          out.push({p, ok: true, msg: ''});
          if (s.release) await s.release(); }
    catch (e) { out.push({p, ok: false, msg: String(e.message || e).slice(0, 400)}); }
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(out));
})();
"""
RETYPE = {  # attribute type -> (new type name, converter)
    onnx.AttributeProto.INT: ("FLOAT", lambda a: helper.make_attribute(a.name, float(a.i))),
    onnx.AttributeProto.FLOAT: ("INT", lambda a: helper.make_attribute(a.name, int(a.f))),
    onnx.AttributeProto.INTS: ("FLOATS", lambda a: helper.make_attribute(
        a.name, [float(x) for x in a.ints] or [1.0])),
    onnx.AttributeProto.FLOATS: ("INTS", lambda a: helper.make_attribute(
        a.name, [int(x) for x in a.floats] or [1])),
    onnx.AttributeProto.STRING: ("INT", lambda a: helper.make_attribute(a.name, 1)),
    onnx.AttributeProto.STRINGS: ("INTS", lambda a: helper.make_attribute(a.name, [1])),
}


def near_miss(name, valid):
    for i in range(1, len(name) - 1):
        cand = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        if cand != name and cand not in valid:
            return cand
    return name + "x"


def schema_of(op, domain, opset):
    try:
        return onnx.defs.get_schema(op, opset, domain)
    except Exception:
        return None


def opset_of(model, domain):
    for o in model.opset_import:
        if (o.domain or "") in (domain, "ai.onnx" if domain == "" else domain):
            return o.version
    return 1


def mutants(model):
    """(kind, detail, mutated model) for the first node of the model's graph."""
    node = model.graph.node[0]
    domain = node.domain or ""
    schema = schema_of(node.op_type, domain, opset_of(model, domain))
    valid = set(schema.attributes) if schema else {a.name for a in node.attribute}
    out = []
    for idx, a in enumerate(node.attribute[:2]):
        m = onnx.ModelProto()
        m.CopyFrom(model)
        new = near_miss(a.name, valid)
        m.graph.node[0].attribute[idx].name = new
        out.append(("rename", "%s -> %s" % (a.name, new), m))
    for idx, a in enumerate(node.attribute[:2]):
        if a.type not in RETYPE:
            continue
        tname, conv = RETYPE[a.type]
        m = onnx.ModelProto()
        m.CopyFrom(model)
        m.graph.node[0].attribute[idx].CopyFrom(conv(a))
        out.append(("retype", "%s %s -> %s" % (a.name, onnx.AttributeProto.AttributeType.Name(
            a.type), tname), m))
    if schema:
        for idx, a in enumerate(node.attribute):
            if a.name in schema.attributes and schema.attributes[a.name].required:
                m = onnx.ModelProto()
                m.CopyFrom(model)
                del m.graph.node[0].attribute[idx]
                out.append(("drop", a.name, m))
    m = onnx.ModelProto()
    m.CopyFrom(model)
    m.graph.node[0].attribute.append(helper.make_attribute("stray_attr", 1))
    out.append(("stray", "stray_attr", m))
    return out


def pick_models(root, per_op):
    """[(test name, op, model)]: up to per_op single-op node tests per op."""
    by_op = collections.defaultdict(list)
    for line in open(os.path.join(root, "MANIFEST.tsv")):
        f = line.rstrip("\n").split("\t")
        if f[0] != "node" or f[3] != "-" or f[4] != "-" or "," in f[2] or "expanded" in f[1]:
            continue
        path = os.path.join(root, "node", f[1], "model.onnx")
        try:
            m = onnx.load(path)
        except Exception:
            continue
        if not m.graph.node:
            continue
        by_op[f[2]].append((-len(m.graph.node[0].attribute), f[1], m))
    picked = []
    for op in sorted(by_op):
        picked += [(name, op, m) for _, name, m in sorted(by_op[op], key=lambda t: t[:2])[:per_op]]
    return picked


def ort_load(paths, workdir):
    lst, res, js = (os.path.join(workdir, n) for n in ("paths.txt", "ort.json", "load.js"))
    open(lst, "w").write("\n".join(paths) + "\n")
    open(js, "w").write(ORT_LOADER)
    env = dict(os.environ, NODE_PATH=os.path.join(REPO, "node_modules"))
    subprocess.run(["node", js, lst, res], check=True, env=env, stderr=subprocess.DEVNULL)
    return {r["p"]: (r["ok"], r["msg"]) for r in json.load(open(res))}


def edgert_load(edgert, path):
    r = subprocess.run([edgert, "inspect", path], capture_output=True, text=True)
    return r.returncode == 0, (r.stderr.strip().splitlines() or [""])[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgert", required=True)
    ap.add_argument("--root", default=os.path.join(REPO, "..", "shared", "onnx-node-tests"))
    ap.add_argument("--workdir", default="/tmp/ert_attr_vs_ort")
    ap.add_argument("--per-op", type=int, default=2)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    models = pick_models(args.root, args.per_op)
    base = {}
    for name, op, m in models:
        p = os.path.join(args.workdir, name + ".onnx")
        onnx.save(m, p)
        base[p] = (name, op, m)
    ort_base = ort_load(list(base), args.workdir)
    cases, both_ops, n_both = [], set(), 0
    for p, (name, op, m) in base.items():
        if not ort_base[p][0] or not edgert_load(args.edgert, p)[0]:
            continue  # one of them cannot load the original: nothing to compare
        n_both += 1
        both_ops.add(op)
        for i, (kind, detail, mm) in enumerate(mutants(m)):
            mp = os.path.join(args.workdir, "%s.%s%d.onnx" % (name, kind, i))
            onnx.save(mm, mp)
            cases.append((name, kind, detail, mp))
    ort = ort_load([c[3] for c in cases], args.workdir)
    matrix = collections.defaultdict(collections.Counter)
    bad, stricter = [], []
    for name, kind, detail, mp in cases:
        o_ok, o_msg = ort[mp]
        e_ok, e_msg = edgert_load(args.edgert, mp)
        o_attr = not o_ok and ATTR_REASON.search(o_msg) is not None
        col = ("both refuse" if not o_ok and not e_ok else "only ORT refuses" if not o_ok
               else "only edgert refuses" if not e_ok else "both load")
        matrix[kind][col] += 1
        if o_attr and e_ok:
            bad.append((name, kind, detail, o_msg))
        if o_ok and not e_ok:
            stricter.append((name, kind, detail, e_msg))
        if args.v:
            print("%-40s %-6s %-28s ORT %s | edgert %s" % (name, kind, detail,
                  "ok" if o_ok else o_msg[:90], "ok" if e_ok else e_msg[:120]))
    cols = ["both refuse", "only ORT refuses", "only edgert refuses", "both load"]
    print("%d of %d models (%d ops) load unmodified in both; %d mutants" % (
        n_both, len(base), len(both_ops), len(cases)))
    print("%-8s %s" % ("mutation", " | ".join("%19s" % c for c in cols)))
    for kind in ("rename", "retype", "drop", "stray"):
        print("%-8s %s" % (kind, " | ".join("%19d" % matrix[kind][c] for c in cols)))
    for name, kind, detail, msg in stricter:
        print("STRICTER %s %s %s: ORT loads, edgert: %s" % (name, kind, detail, msg[:240]))
    for name, kind, detail, msg in bad:
        print("MISSED %s %s %s: ORT refuses (%s), edgert loads" % (name, kind, detail, msg[:200]))
    print("%d models ORT refuses for an attribute reason that edgert loads" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
