#!/usr/bin/env python3
"""Rebuilds the committed seed corpora of the fuzz targets from the
project's test data:

  corpus/policy/    policy documents found in worlds, scenario files and
                    AWS CLI dumps, plus the invalid policies of the CLI tests
  corpus/world/     world files, the inline worlds of scenario files, AWS
                    CLI dumps, and testdata/bad's worlds (bad JSON included)
  corpus/scenario/  scenario files (conformance, rules, seeds, import, bad)
  corpus/evaluate/  a few fixed pseudo-random byte strings (the target is
                    structure-aware: any bytes make an input)
  corpus/terraform/ the Terraform plans of testdata/terraform (cases and
                    shapes)

Each file is named by the SHA-1 of its content (as libFuzzer names its
own), so that reruns are idempotent. Run from anywhere:
    python3 fuzz/seed-corpus.py
"""

import hashlib
import json
import os
import random
import shutil
import urllib.parse
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
TESTDATA = ROOT / "testdata"
INVALID = ROOT / "crates" / "iamsim-cli" / "tests" / "invalid"
CORPUS = FUZZ / "corpus"

MAX_POLICIES = 200
TARGETS = ("policy", "world", "scenario", "evaluate", "terraform")


def save(target, data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    (CORPUS / target / name).write_bytes(data)


def load(path):
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        return None


def as_document(value):
    """A policy document in any of the forms of the README's "Formats", as JSON text."""
    if isinstance(value, dict):
        if set(value) == {"file"}:
            return None
        return json.dumps(value, indent=2)
    if isinstance(value, str):
        for text in (value, urllib.parse.unquote(value)):
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            if isinstance(doc, dict):
                return json.dumps(doc, indent=2)
    return None


def policies_in(node, out):
    """Every value that looks like a policy document (has a Statement),
    and the string documents of AWS CLI dumps."""
    if isinstance(node, dict):
        if "Statement" in node:
            out.append(json.dumps(node, indent=2))
            return
        for k, v in node.items():
            if k in ("Document", "AssumeRolePolicyDocument", "PolicyDocument",
                     "Policy", "Content") and isinstance(v, str):
                doc = as_document(v)
                if doc:
                    out.append(doc)
            else:
                policies_in(v, out)
    elif isinstance(node, list):
        for v in node:
            policies_in(v, out)


def main():
    for target in TARGETS:
        shutil.rmtree(CORPUS / target, ignore_errors=True)
        (CORPUS / target).mkdir(parents=True)

    files = sorted(p for p in TESTDATA.rglob("*.json"))
    policies = []
    for path in files:
        if "bad" in path.relative_to(TESTDATA).parts[:1]:
            # testdata/bad: one class of bad input each, named by what reads
            # it; some are not JSON (or not UTF-8) at all.
            name = path.name
            if name.startswith("scenarios-"):
                save("scenario", path.read_bytes())
            elif name.startswith(("world-", "dump-")):
                save("world", path.read_bytes())
            if name.startswith(("world-json-", "world-policy-")):
                save("policy", path.read_bytes())
            continue
        data = load(path)
        if data is None:
            continue
        if isinstance(data, dict) and "format_version" in data and "terraform_version" in data:
            save("terraform", path.read_bytes())
            continue
        policies_in(data, policies)
        is_dump = "dumps" in path.parts
        if isinstance(data, dict) and "scenarios" in data:
            save("scenario", path.read_bytes())
            if isinstance(data.get("world"), dict):
                save("world", json.dumps(data["world"], indent=2))
        elif isinstance(data, dict) and ("accounts" in data or is_dump):
            save("world", path.read_bytes())

    for path in sorted(INVALID.glob("*.json")):
        if path.name.endswith(".world.json"):
            save("world", path.read_bytes())
        else:
            save("policy", path.read_bytes())

    seen = set()
    unique = []
    for p in policies:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    # Prefer variety: the longest documents first carry the most features,
    # the shortest are cheap; keep both ends.
    unique.sort(key=len)
    if len(unique) > MAX_POLICIES:
        half = MAX_POLICIES // 2
        unique = unique[:half] + unique[-half:]
    for p in unique:
        save("policy", p)

    rng = random.Random(20260101)
    for size in (64, 128, 256, 512, 1024, 2048, 4096, 8192):
        for _ in range(2):
            save("evaluate", bytes(rng.getrandbits(8) for _ in range(size)))

    for target in TARGETS:
        d = CORPUS / target
        n = len(os.listdir(d))
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"{target}: {n} files, {size} bytes")


if __name__ == "__main__":
    main()
