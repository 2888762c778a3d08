#!/usr/bin/env bash
# Times builds of the kataven crate in a scratch copy of the working tree,
# so the repository and its target directory are left alone:
#
#   1. a clean `cargo build` (every dependency compiled from source);
#   2. the rebuild after a one-line change to openapi.yaml (a schema
#      description), which reruns the progenitor build step;
#   3. the rebuild after touching src/lib.rs without a change;
#   4. step 2 again, with another one-line change and CARGO_INCREMENTAL=0,
#      as CI builds.
#
# Steps 1 to 3 use cargo's default for the dev profile: incremental
# compilation of the workspace crates. Each step prints how many crates it
# compiled. The copy and its own target directory live under
# target/tmp/kataven-bench/build-cost and are deleted at the end. The
# results are printed and written to target/tmp/kataven-bench/build-cost.json,
# where scripts/bench-report.sh reads them. Dependencies are fetched before
# the clock starts, so download time is not counted.
#
# Usage: scripts/build-cost.sh
set -euo pipefail

cd "$(dirname "$0")/.."
repo="$(pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
data_dir="$target_dir/tmp/kataven-bench"
scratch="$data_dir/build-cost"

if ! git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    echo "error: $repo is not a git work tree; the script copies the files git lists" >&2
    exit 1
fi

rm -rf "$scratch"
mkdir -p "$scratch/src-copy"
trap 'rm -rf "$scratch"' EXIT

# Tracked and untracked files that .gitignore does not exclude, as they are
# in the working tree now.
git -C "$repo" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do
        [ -e "$file" ] && printf '%s\0' "$file"
    done |
    tar --null -T - -cf - | tar -xf - -C "$scratch/src-copy"

cd "$scratch/src-copy"
export CARGO_TARGET_DIR="$scratch/target"
unset CARGO_INCREMENTAL
cargo fetch --quiet

# Prints the seconds `cargo build` takes, and to stderr how many crates it
# compiled.
time_build() {
    local start end log="$scratch/build.log"
    start="$(date +%s.%N)"
    cargo build --color never 2>"$log"
    end="$(date +%s.%N)"
    echo "  compiled $(grep -c '^ *Compiling' "$log") crates" >&2
    awk -v start="$start" -v end="$end" 'BEGIN { printf "%.1f", end - start }'
}

# Appends `$1` to the description of the ProgressEvent schema, a line that
# the generated docs carry.
change_spec() {
    local pattern='^      description: The data of a `progress` event'
    if ! grep -q "$pattern" openapi.yaml; then
        echo "error: openapi.yaml has no line matching '$pattern';" \
            "update the line this script changes" >&2
        exit 1
    fi
    sed -i "s/\($pattern\)\(.*\)\.\$/\1\2$1./" openapi.yaml
}

echo "clean build ..." >&2
clean="$(time_build)"

change_spec " (changed)"
echo "rebuild after the spec change ..." >&2
spec_change="$(time_build)"

touch src/lib.rs
echo "rebuild after touching src/lib.rs ..." >&2
touch_only="$(time_build)"

echo "switching to CARGO_INCREMENTAL=0 (not timed) ..." >&2
CARGO_INCREMENTAL=0 cargo build --quiet
change_spec " again"
echo "rebuild after the spec change, CARGO_INCREMENTAL=0 ..." >&2
spec_change_ci="$(export CARGO_INCREMENTAL=0 && time_build)"

mkdir -p "$data_dir"
printf '{"clean_seconds": %s, "spec_change_seconds": %s, "touch_seconds": %s, "spec_change_no_incremental_seconds": %s, "nproc": %s}\n' \
    "$clean" "$spec_change" "$touch_only" "$spec_change_ci" "$(nproc)" >"$data_dir/build-cost.json"
echo "clean cargo build:                                   $clean s"
echo "rebuild after one-line spec change:                  $spec_change s"
echo "rebuild after touching src/lib.rs:                   $touch_only s"
echo "rebuild after one-line spec change, no incremental:  $spec_change_ci s"
