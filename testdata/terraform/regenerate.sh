#!/bin/sh
# Regenerates every testdata/terraform/*/plan.json offline, with
# Terraform 1.11 and the hashicorp/aws 5.100.0 provider from a local
# filesystem mirror (TF_PLUGIN_DIR, default /opt/tf-plugins).
# Each case is planned in a scratch copy, so no .terraform directory,
# lock file or plan.out lands in the repository. Usage:
#   testdata/terraform/regenerate.sh [CASE...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plugins=${TF_PLUGIN_DIR:-/opt/tf-plugins}
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# A local stand-in for STS, for the cases whose provider reads
# data.aws_caller_identity through endpoints { sts = "http://127.0.0.1:18943" }.
python3 "$here/sts-stub.py" 18943 111111111111 &
stub=$!
trap 'kill "$stub"' EXIT
if [ "$#" -eq 0 ]; then
  set -- $(cd "$here" && for d in */main.tf shapes/*/main.tf; do dirname "$d"; done)
  derive=yes
fi
for case in "$@"; do
  src="$here/$case"
  work=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$work'; kill $stub" EXIT
  cp -R "$src"/. "$work"/
  : >"$work/.terraformrc"
  export TF_CLI_CONFIG_FILE="$work/.terraformrc"
  rm -f "$work"/plan.json "$work"/base.json "$work"/world.json "$work"/questions.json
  (
    cd "$work"
    terraform init -backend=false -plugin-dir="$plugins" -no-color >/dev/null
    # -refresh=false: nothing is read from AWS; the prior state is the
    # committed terraform.tfstate as written.
    terraform plan -refresh=false -no-color -out plan.out >/dev/null
    terraform show -json plan.out >"$src/plan.json"
  )
  rm -rf "$work"
  echo "$case: plan.json regenerated"
done
# The hand-edited shapes derive from the cases' plans.
if [ "${derive:-}" = yes ]; then
  python3 "$here/shapes/derive.py"
  echo "shapes: derived"
fi
