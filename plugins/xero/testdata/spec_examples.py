# Writes spec_examples.tsv: the 200 examples of /work/shared/reference/xero/xero_accounting.yaml
# whose envelope holds a collection the connector reads, as JSON in the spec's key order
# (every other one indented), MS-JSON dates escaped as Xero sends them (`\/Date(..)\/`),
# numbers in their source text. One line per body: `stream<TAB>body as a JSON string`.
#   python3 spec_examples.py > spec_examples.tsv
import yaml, json, re, sys
COLL = {"Organisations":"organisation","Accounts":"accounts","TrackingCategories":"tracking_categories",
        "Contacts":"contacts","Invoices":"invoices","BankTransactions":"bank_transactions",
        "ManualJournals":"manual_journals","Journals":"journals"}
NUM = re.compile(r'^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$')
def emit(node, pretty, ind=0):
    sp = "\n" + "  " * (ind + 1) if pretty else ""
    end = "\n" + "  " * ind if pretty else ""
    if isinstance(node, yaml.MappingNode):
        items = [emit_key(k) + (": " if pretty else ":") + emit(v, pretty, ind + 1) for k, v in node.value]
        return "{" + ",".join(sp + i for i in items) + (end if items else "") + "}"
    if isinstance(node, yaml.SequenceNode):
        items = [emit(v, pretty, ind + 1) for v in node.value]
        return "[" + ",".join(sp + i for i in items) + (end if items else "") + "]"
    tag, v = node.tag, node.value
    if node.style is None:
        if tag.endswith(":int") or tag.endswith(":float"):
            if NUM.match(v): return v
        if tag.endswith(":bool"): return "true" if v.lower() in ("true","yes","on") else "false"
        if tag.endswith(":null"): return "null"
    return jstr(v)
def jstr(v):
    s = json.dumps(v, ensure_ascii=False)
    return s.replace("/Date(", "\\/Date(").replace(")/", ")\\/")
def emit_key(k): return jstr(k.value)
class L(yaml.SafeLoader): pass
L.yaml_implicit_resolvers = {k: [(t, r) for t, r in v if t != 'tag:yaml.org,2002:timestamp'] for k, v in L.yaml_implicit_resolvers.items()}
root = yaml.compose(open('/work/shared/reference/xero/xero_accounting.yaml'), Loader=L)
def get(node, key):
    for k, v in node.value:
        if k.value == key: return v
out = []
paths = get(root, "paths")
for pk, pv in paths.value:
    g = get(pv, "get")
    if g is None: continue
    try:
        ex = get(get(get(get(get(g, "responses"), "200"), "content"), "application/json"), "example")
    except Exception: continue
    if ex is None or not isinstance(ex, yaml.MappingNode): continue
    keys = [k.value for k, _ in ex.value]
    for c, stream in COLL.items():
        if c in keys:
            body = emit(ex, pretty=len(out) % 2 == 1)
            json.loads(body)
            out.append((stream, pk, body))
for stream, pk, body in out:
    print(stream + "\t" + json.dumps(body, ensure_ascii=False))
print(len(out), "examples", file=sys.stderr)
for s, p, b in out: print(s, p, len(b), file=sys.stderr)
