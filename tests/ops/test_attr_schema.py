#!/usr/bin/python3
"""edgert's attribute schema table vs the ONNX operator schemas of Debian's python3-onnx.

    /usr/bin/python3 tests/ops/test_attr_schema.py --registry build/tests/test_registry [-v]

For every op of src/ops/ops.def and every opset from the op's first version to 17 (the
newest onnx 1.12 knows) the schema edgert uses at that opset (the largest ops.def
version <= opset, from `test_registry --dump`) is compared with
onnx.defs.get_schema(op, opset, domain): attribute names, types, required flags and
defaults. So a version ONNX changed attributes in but ops.def does not list shows up as
a difference too. Versions after 17 and the experimental ops onnx 1.12 no longer has
are hand-written from the operator spec (scripts/gen_attr_schema.py) and only counted.
Prints every difference; exits 1 if one is not in KNOWN (deliberate, with a reason).
"""
import argparse
import subprocess
import sys

try:
    import onnx.defs as defs
except ImportError:
    print("test_attr_schema.py: needs Debian's python3-onnx (apt-get install python3-onnx)")
    sys.exit(2)

ONNX_MAX = 17
TYPES = {1: "FLOAT", 2: "INT", 3: "STRING", 4: "TENSOR", 5: "GRAPH", 6: "FLOATS", 7: "INTS",
         8: "STRINGS", 9: "TENSORS", 10: "GRAPHS", 11: "SPARSE_TENSOR", 12: "SPARSE_TENSORS",
         13: "TYPE_PROTO", 14: "TYPE_PROTOS"}
# Deliberate differences: (op, version, attribute, what) -> reason
KNOWN = {
    ("GRU", 1, "direction", "default"): "ONNX's GRU-1 default is the typo 'foward'",
}


def load_table(registry):
    out = subprocess.run([registry, "--dump"], check=True, capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines():
        op, dom, ver, attr, typ, req, dflt, _allowed = line.split("\t")
        s = table.setdefault((dom, op), {}).setdefault(int(ver), {})
        if attr != "-":
            s[attr] = (typ, req == "1", None if dflt == "-" else dflt)
    return table


def onnx_default(a):
    d = a.default_value
    t = TYPES.get(d.type)
    if t is None:
        return None
    if t == "INT":
        return str(d.i)
    if t == "FLOAT":
        return "%.9g" % d.f
    if t == "STRING":
        return d.s.decode()
    if t == "INTS":
        return ",".join(str(x) for x in d.ints)
    if t == "FLOATS":
        return ",".join("%.9g" % x for x in d.floats)
    if t == "STRINGS":
        return ",".join(x.decode() for x in d.strings)
    return None


def same_default(a, b):
    if a == b:
        return True
    try:
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def compare(op, ver, mine, theirs):
    diffs = []
    for an in sorted(set(mine) | set(theirs)):
        if an not in mine:
            diffs.append((an, "missing", "onnx has %s, edgert does not" % theirs[an][0]))
            continue
        if an not in theirs:
            diffs.append((an, "extra", "edgert has %s, onnx does not" % mine[an][0]))
            continue
        for i, what in enumerate(("type", "required")):
            if mine[an][i] != theirs[an][i]:
                diffs.append((an, what, "edgert %s, onnx %s" % (mine[an][i], theirs[an][i])))
        if not same_default(mine[an][2], theirs[an][2]):
            diffs.append((an, "default", "edgert %r, onnx %r" % (mine[an][2], theirs[an][2])))
    return [(op, ver) + d for d in diffs]


def onnx_attrs(op, dom, opset):
    try:
        s = defs.get_schema(op, opset, dom)
    except Exception:
        return None
    if s.deprecated:
        return None
    return {n: (TYPES[int(a.type)], bool(a.required), onnx_default(a))
            for n, a in s.attributes.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    table = load_table(args.registry)
    checked, hand, diffs, ops_checked = 0, 0, [], 0
    for (dom, op), versions in sorted(table.items()):
        vs = sorted(versions)
        any_checked = False
        for opset in range(vs[0], ONNX_MAX + 1):
            ver = max(v for v in vs if v <= opset)
            theirs = onnx_attrs(op, dom, opset) if dom in ("", "ai.onnx.ml") else None
            if theirs is None:
                continue
            checked += 1
            any_checked = True
            for d in compare(op, ver, versions[ver], theirs):
                d = d + ("opset %d" % opset,)
                if d not in diffs:
                    diffs.append(d)
        hand += sum(1 for v in vs if v > ONNX_MAX or not any_checked)
        ops_checked += any_checked
    unexpected = 0
    seen = set()
    for op, ver, an, what, detail, where in diffs:
        key = (op, ver, an, what)
        if key in seen:
            continue
        seen.add(key)
        reason = KNOWN.get(key)
        unexpected += reason is None
        print("%s %s-%d attribute %s (%s): %s; %s" % ("KNOWN" if reason else "DIFF", op, ver,
              an, what, detail, reason or where))
    print("%d ops, %d (op, opset) pairs compared with onnx %s; %d op versions hand-written from "
          "the spec (opset > %d or not in onnx 1.12)" % (ops_checked, checked,
                                                         __import__("onnx").__version__, hand,
                                                         ONNX_MAX))
    print("%d differences (%d known, %d unexpected)" % (len(seen), len(seen) - unexpected,
                                                        unexpected))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
