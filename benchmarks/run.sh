#!/usr/bin/env bash
# The single entry point of `make bench`: ours against the peers on the congested program, one run, one table.
#
#   PYTHON=.venv/bin/python bash benchmarks/run.sh [--quick] [--small N] [--large N] [--repeats R] [--no-matching-lib]
#
# It (1) takes /tmp/ementor-bench.lock so heavy runs on this shared box never overlap (unless an ancestor
# process, e.g. `flock /tmp/ementor-bench.lock make bench`, already holds it), (2) creates the peers' own
# virtualenvs under benchmarks/.venvs/ if missing or out of date, and (3) runs benchmarks/bench.py with
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this command only (they slow a current numpy; tests and CI
# keep them). Results: the table on stdout and benchmarks/results/latest.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
LOCK=/tmp/ementor-bench.lock

lock_held_by_ancestor() {
    [ -e "$LOCK" ] || return 1
    local inode holders pid
    inode=$(stat -c %i "$LOCK")
    # /proc/locks: "N: FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> ..." (waiters are marked "->" and skipped).
    holders=$(awk -v ino="$inode" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks)
    [ -n "$holders" ] || return 1
    pid=$$
    while [ "$pid" -gt 1 ]; do
        for h in $holders; do [ "$h" = "$pid" ] && return 0; done
        pid=$(ps -o ppid= -p "$pid" | tr -d ' ')
        [ -n "$pid" ] || return 1
    done
    return 1
}

if command -v flock > /dev/null && ! lock_held_by_ancestor; then
    echo "benchmarks: waiting for $LOCK (other heavy runs on this machine)..." >&2
    exec flock "$LOCK" bash "$0" "$@"
fi

make_venv() {
    local name=$1 requirements="benchmarks/requirements/$1.txt" dir="benchmarks/.venvs/$1"
    if [ -x "$dir/bin/python" ] && cmp -s "$requirements" "$dir/.requirements"; then
        return 0
    fi
    echo "benchmarks: creating $dir" >&2
    rm -rf "$dir"
    PYENV_VERSION=3.12 python3.12 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$dir/.requirements"
}
make_venv ortools
make_venv matching

exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHON="$PYTHON" "$PYTHON" benchmarks/bench.py "$@"
