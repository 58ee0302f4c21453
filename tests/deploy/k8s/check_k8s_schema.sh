#!/usr/bin/env bash
# The Kubernetes manifests (deploy/kubernetes/*.yaml) against the API
# schemas, offline (issue 18): kubernetes-models and
# @kubernetes-models/prometheus-operator from the npm registry, pinned in
# package.json here and installed once into BUILD_DIR/k8s-schema.
# About 2 s (10 s the first time, for npm install).
# Usage: check_k8s_schema.sh SOURCE_DIR BUILD_DIR
# Exit: 0 pass, 1 fail, 77 skipped (no node, npm or python3-yaml, or the
# packages cannot be installed).
set -euo pipefail
src=$(readlink -f "${1:?usage: check_k8s_schema.sh SOURCE_DIR BUILD_DIR}")
dir=$(readlink -f "${2:?usage: check_k8s_schema.sh SOURCE_DIR BUILD_DIR}")/k8s-schema
here=$src/tests/deploy/k8s
for t in node npm python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (apt-get install nodejs npm)"; exit 77; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml not installed"; exit 77; }
mkdir -p "$dir"
if ! cmp -s "$here/package.json" "$dir/package.json" || [ ! -d "$dir/node_modules/kubernetes-models" ]; then
	cp "$here/package.json" "$dir/package.json"
	if ! (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) >"$dir/npm.log" 2>&1; then
		echo "SKIP: npm install of the schema packages failed:"; tail -5 "$dir/npm.log"
		rm -rf "$dir/node_modules"
		exit 77
	fi
fi
cp "$here/validate.mjs" "$dir/validate.mjs"
jsons=()
for f in "$src"/deploy/kubernetes/*.yaml; do
	j=$dir/$(basename "$f" .yaml).json
	python3 -c 'import json, sys, yaml
json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d], open(sys.argv[2], "w"))' "$f" "$j"
	jsons+=("$j")
done
cd "$dir" && node validate.mjs "${jsons[@]}"
