#!/usr/bin/env python3
"""Derives the hand-edited plan shapes of this folder from the real plans of
the cases (see README.md beside it for what each shape stands for and where
its form comes from). Run after regenerate.sh: python3 derive.py"""
import copy
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
CASES = HERE.parent


def load(case):
    return json.loads((CASES / case / "plan.json").read_text())


def write(name, plan):
    (HERE / name).write_text(json.dumps(plan, indent=2) + "\n")


def changes(plan, address):
    return next(r for r in plan["resource_changes"] if r["address"] == address)


def v0_1():
    """A plan as Terraform 0.12 wrote it: format_version 0.1, short provider
    names, none of the fields added since (sensitivity, action reasons,
    relevant attributes, timestamp, applyable/complete/errored)."""
    p = load("create-cross-account")
    p["format_version"] = "0.1"
    p["terraform_version"] = "0.12.31"
    for k in ("relevant_attributes", "timestamp", "applyable", "complete", "errored", "checks"):
        p.pop(k, None)
    p["prior_state"]["format_version"] = "0.1"
    p["prior_state"]["terraform_version"] = "0.12.31"
    for r in p["resource_changes"]:
        r["provider_name"] = "aws"
        r.pop("action_reason", None)
        for k in ("before_sensitive", "after_sensitive"):
            r["change"].pop(k, None)
    for where in (p["planned_values"], p["prior_state"]["values"]):
        for r in where["root_module"]["resources"]:
            r["provider_name"] = "aws"
            r.pop("sensitive_values", None)
    for cfg in p["configuration"]["provider_config"].values():
        cfg.pop("full_name", None)
    write("v0.1-terraform-0.12.json", p)


def drift_deferred():
    """update-destroy, as if someone had widened reports-write in the console
    (resource_drift; the plan then updates it back) and as if one more
    inline policy could not be planned yet (deferred_changes)."""
    p = load("update-destroy")
    rc = changes(p, "aws_iam_policy.reports_write")
    before = rc["change"]["before"]
    drifted = copy.deepcopy(before)
    doc = json.loads(drifted["policy"])
    doc["Statement"].append(
        {"Action": "s3:DeleteObject", "Effect": "Allow", "Resource": "arn:aws:s3:::reports/*", "Sid": "ConsoleEdit"}
    )
    drifted["policy"] = json.dumps(doc, separators=(",", ":"))
    drift = copy.deepcopy(rc)
    drift["change"]["actions"] = ["update"]
    drift["change"]["after"] = copy.deepcopy(drifted)
    p["resource_drift"] = [drift]
    rc["change"]["actions"] = ["update"]
    rc["change"]["before"] = drifted
    for r in p["prior_state"]["values"]["root_module"]["resources"]:
        if r["address"] == "aws_iam_policy.reports_write":
            r["values"] = copy.deepcopy(drifted)
    deferred = copy.deepcopy(changes(p, "aws_iam_role_policy.legacy_read"))
    deferred["address"] = "aws_iam_role_policy.app_extra"
    deferred["name"] = "app_extra"
    deferred.pop("action_reason", None)
    deferred["change"]["actions"] = ["create"]
    deferred["change"]["before"] = None
    deferred["change"]["before_sensitive"] = False
    deferred["change"]["after"] = {"name": "extra"}
    deferred["change"]["after_unknown"] = {"id": True, "name_prefix": True, "policy": True, "role": True}
    p["deferred_changes"] = [{"reason": "resource_config_unknown", "resource_change": deferred}]
    p["complete"] = False
    write("drift-deferred.json", p)


def heredoc(text):
    """A policy string as a heredoc leaves it: indented with tabs and
    spaces, CRLF line ends, a trailing newline."""
    doc = json.loads(text)
    pretty = json.dumps(doc, indent="\t").replace("\n", "\r\n")
    return "  " + pretty + " \r\n\t\n"


POLICY_ATTRIBUTES = ("policy", "assume_role_policy")


def heredoc_whitespace():
    """create-cross-account with every policy string as heredoc JSON."""
    p = load("create-cross-account")

    def rewrite(values):
        if not isinstance(values, dict):
            return
        for k in POLICY_ATTRIBUTES:
            if isinstance(values.get(k), str) and values[k].startswith("{"):
                values[k] = heredoc(values[k])
        for block in values.get("inline_policy") or []:
            if isinstance(block, dict) and isinstance(block.get("policy"), str):
                block["policy"] = heredoc(block["policy"])

    for r in p["resource_changes"]:
        rewrite(r["change"]["after"])
    for r in p["planned_values"]["root_module"]["resources"]:
        rewrite(r["values"])
    write("heredoc-whitespace.json", p)


def null_list_elements():
    """create-cross-account where plakhera's second group is known only
    after apply: Terraform writes the unknown element of the list as null,
    with true at its index in after_unknown."""
    p = load("create-cross-account")
    rc = changes(p, "aws_iam_user_group_membership.plakhera")
    rc["change"]["after"]["groups"].append(None)
    rc["change"]["after_unknown"]["groups"] = [False, True]
    rc["change"]["after_sensitive"]["groups"] = [False, False]
    for r in p["planned_values"]["root_module"]["resources"]:
        if r["address"] == rc["address"]:
            r["values"]["groups"].append(None)
            r["sensitive_values"]["groups"] = [False, False]
    write("null-list-elements.json", p)


def errored():
    """create-cross-account as a plan that failed part-way: errored, not
    applyable, not complete, its changes still listed."""
    p = load("create-cross-account")
    p["errored"] = True
    p["applyable"] = False
    p["complete"] = False
    write("errored.json", p)


def format_2():
    """create-cross-account under a major format version iamsim does not know."""
    p = load("create-cross-account")
    p["format_version"] = "2.0"
    write("format-2.0.json", p)


if __name__ == "__main__":
    v0_1()
    drift_deferred()
    heredoc_whitespace()
    null_list_elements()
    errored()
    format_2()
