#!/usr/bin/env bash
# setup.sh — make a Debian 12 machine ready for mlpc, then configure and build it.
#
#   ./setup.sh            install what is missing, configure build/ and build
#   ./setup.sh --example  the same, then run the flagship example (examples/flagship.sh)
#   ./setup.sh --test     the same, then run the test suite (ctest)
#   ./setup.sh --deps     only install the missing packages and the node modules (the VS Code
#                         extension's, the export validators') (no configure, no build)
#   ./setup.sh --bench-deps  the same, plus what bench/serve.sh drives: wrk and nginx (whose
#                         service is kept from starting: the bench runs its own)
#
# Run it as root (or with sudo available). It is idempotent: packages are installed only when
# dpkg says one is missing, so a re-run goes straight to the (incremental) build.
#
# Environment:
#   MLPC_SKIP_CHROMIUM=1   do not install chromium (only the HTML report tests need it)
#   MLPC_BUILD_DIR=DIR     build somewhere else than ./build
#   MLPC_BUILD_TYPE=TYPE   CMake build type (default RelWithDebInfo)
#   MLPC_JOBS=N            parallel build jobs (default: nproc)
# Exit status: that of the first step that fails (install, npm ci, configure, build, example,
# tests).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

MODE=build
case "${1:-}" in
  "") ;;
  --example) MODE=example ;;
  --test) MODE=test ;;
  --deps) MODE=deps ;;
  --bench-deps) MODE=bench-deps ;;
  -h | --help) usage; exit 0 ;;
  *) echo "setup.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac

say() { printf '\n==> %s\n' "$*"; }

# ---- packages --------------------------------------------------------------------------------
PACKAGES=(
  # compiler and build
  g++ cmake ninja-build git
  # the parser generator (a Java tool) and its C++ runtime
  antlr4 default-jre-headless libantlr4-runtime-dev
  # libraries
  libsqlite3-dev sqlite3 nlohmann-json3-dev libfmt-dev libboost-dev libboost-filesystem-dev
  libssl-dev openssl llvm-14-dev libcli11-dev
  # mlpc's allocator (tools/mlpc/heap.cpp)
  libjemalloc-dev
  # the ANTLR runtime's CMake target links libuuid; a minimal Debian 12 root does not have it
  uuid-dev
  # tests, sanitizers, fuzzing, formatting and linting
  catch2 clang-14 libclang-rt-14-dev clang-format clang-tidy
  # the Python side of the stdlib steps (Debian's /usr/bin/python3)
  python3 python3-sklearn python3-pandas python3-numpy python3-xgboost
  # tests: the stdlib servers are exercised over HTTP with curl
  curl
  # `mlpc graph` output, benchmarks (/usr/bin/time)
  graphviz time
  # tests: `mlpc lsp` driven by Neovim's built-in LSP client (editors/vim)
  neovim
  # `mlpc up`: the deployment router and the CLI's calls to it speak HTTP through cpp-httplib
  libcpp-httplib-dev
  # runtime/deploy finds cpp-httplib's compiled library through its pkg-config file; a minimal
  # Debian 12 root has no pkg-config (the fresh CI stage caught it)
  pkg-config
  # `mlpc baseline`: CSV is read by libcsv (runtime/monitor)
  libcsv-dev
  # tests: an mlpc endpoint called with boto3's unchanged `sagemaker-runtime` client
  python3-boto3
  # `mlpc run --executor slurm` and its tests: a private single-node cluster (tests/slurm/)
  slurm-wlm munge
)
if [ "${MLPC_SKIP_CHROMIUM:-0}" != 1 ]; then
  PACKAGES+=(chromium) # headless browser for the HTML report tests
fi
# The VS Code extension (editors/vscode): npm fetches its modules over HTTPS; its tests run in
# node. Debian's nodejs and npm only when there is no node or npm at all (one installed another
# way, e.g. NodeSource's nodejs with its own npm, is kept).
PACKAGES+=(ca-certificates)
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# bench/serve.sh: wrk drives the load; nginx is the reverse proxy the router is compared with.
[ "$MODE" = bench-deps ] && PACKAGES+=(wrk nginx-light)

# One dpkg-query for all of them: "NAME STATUS" for each package dpkg knows.
status=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! awk -v p="$p" '$1 == p && $2 == "ii" { found = 1 } END { exit !found }' <<<"$status"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${#missing[@]} missing package(s): ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO=(sudo)
    else
      echo "setup.sh: these packages are missing and I am not root: ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Debian's munge, slurm and nginx packages start their system services on install (munged,
  # slurmctld, nginx on port 80, as root; in a chroot they would outlive it): a policy-rc.d that
  # refuses service starts stops that, and is removed again if this script put it there. The
  # tests start their own daemons.
  if [[ " ${missing[*]} " =~ \ (nginx-light|munge|slurm-wlm)\  ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d > /dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "all ${#PACKAGES[@]} packages are installed"
fi

# ---- the VS Code extension's node modules -----------------------------------------------------
# Exactly what package-lock.json pins (vsce, the grammar test tools, vscode-languageclient), again
# only when the lock file is newer than the last install. No install scripts are run.
VSCODE_DIR=$ROOT/editors/vscode
if [ ! -f "$VSCODE_DIR/node_modules/.package-lock.json" ] ||
  [ "$VSCODE_DIR/package-lock.json" -nt "$VSCODE_DIR/node_modules/.package-lock.json" ]; then
  say "installing the VS Code extension's node modules (npm ci in editors/vscode)"
  (cd "$VSCODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund)
else
  say "editors/vscode/node_modules is up to date"
fi

# ---- the export validators' node modules -----------------------------------------------------
# `mlpc export` is tested against each target's own validator (tests/validators: Argo's JSON
# schema through ajv, asl-validator, the SageMaker pipeline schema, Ruff for Airflow DAGs), as
# pinned by package-lock.json; the same rule as above: only when the lock file is newer.
VALIDATORS_DIR=$ROOT/tests/validators
if [ ! -f "$VALIDATORS_DIR/node_modules/.package-lock.json" ] ||
  [ "$VALIDATORS_DIR/package-lock.json" -nt "$VALIDATORS_DIR/node_modules/.package-lock.json" ]; then
  say "installing the export validators' node modules (npm ci in tests/validators)"
  (cd "$VALIDATORS_DIR" && npm ci --ignore-scripts --no-audit --no-fund)
else
  say "tests/validators/node_modules is up to date"
fi

[ "$MODE" = deps ] || [ "$MODE" = bench-deps ] && exit 0

# ---- configure and build ---------------------------------------------------------------------
BUILD_DIR=${MLPC_BUILD_DIR:-build}
BUILD_TYPE=${MLPC_BUILD_TYPE:-RelWithDebInfo}
JOBS=${MLPC_JOBS:-$(nproc)}

say "configuring $BUILD_DIR ($BUILD_TYPE, Ninja, warnings as errors)"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DMLPC_WERROR=ON

say "building with $JOBS job(s)"
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "built: $BUILD_DIR/mlpc ($("$BUILD_DIR/mlpc" --version))"

# ---- what was asked --------------------------------------------------------------------------
case "$MODE" in
  example)
    say "running the flagship example"
    MLPC="$BUILD_DIR/mlpc" "$ROOT/examples/flagship.sh"
    ;;
  test)
    say "running the tests"
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
    ;;
  build) ;;
esac
