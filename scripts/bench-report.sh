#!/usr/bin/env bash
# Prints the benchmark results as a table of ratios, each SDK figure
# divided by its baseline from the same run.
#
# Reads what the last `cargo bench --bench '*'` left in the target
# directory: criterion's estimates under target/criterion, and
# peak_memory.json and build-cost.json under target/tmp/kataven-bench.
# Medians are used throughout. The ratio of each row is the median of its
# side-by-side benchmark, one of the *_ratio groups, which time the SDK and
# the baseline in alternation within every sample. The medians of the
# separate SDK and baseline benchmarks are shown beside it with their own
# ratio, which load changes between those two runs can skew. Needs jq.
#
# Usage: scripts/bench-report.sh [CRITERION_DIR]
#   CRITERION_DIR defaults to target/criterion, for example to report a
#   copy saved from an earlier run.
set -euo pipefail

cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"
criterion_dir="${1:-$target_dir/criterion}"
data_dir="$target_dir/tmp/kataven-bench"

if ! command -v jq >/dev/null 2>&1; then
    echo "error: jq is not installed; install it with 'apt-get install jq'" >&2
    exit 1
fi
if [ ! -d "$criterion_dir" ]; then
    echo "error: no criterion results in $criterion_dir; run 'cargo bench --bench \"*\"' first" >&2
    exit 1
fi

# Prints the median time in nanoseconds of the benchmark with this full id
# (such as get/sdk), or nothing when it has not run.
median_ns() {
    local id="$1" meta
    for meta in "$criterion_dir"/*/*/new/benchmark.json "$criterion_dir"/*/*/*/new/benchmark.json; do
        [ -f "$meta" ] || continue
        if [ "$(jq -r .full_id "$meta")" = "$id" ]; then
            jq -r .median.point_estimate "$(dirname "$meta")/estimates.json"
            return
        fi
    done
}

# Formats nanoseconds with a fitting unit.
human_time() {
    awk -v ns="$1" 'BEGIN {
        if (ns >= 1e9) printf "%.2f s", ns / 1e9;
        else if (ns >= 1e6) printf "%.1f ms", ns / 1e6;
        else printf "%.1f µs", ns / 1e3 }'
}

# Prints one row: what, SDK id, baseline id, side-by-side ratio id, how the
# shown ratio is formed ("time": SDK time / baseline time, "speed":
# baseline time / SDK time), the comparison (le or ge) and the target.
ratio_row() {
    local what="$1" sdk_id="$2" base_id="$3" ratio_id="$4" form="$5" compare="$6" target="$7"
    local sdk base paired
    sdk="$(median_ns "$sdk_id")"
    base="$(median_ns "$base_id")"
    paired="$(median_ns "$ratio_id")"
    if [ -z "$paired" ]; then
        printf '| %s | not run | | | | %s %s | |\n' "$what" "$compare" "$target"
        return
    fi
    awk -v what="$what" -v sdk="${sdk:-0}" -v base="${base:-0}" -v paired="$paired" \
        -v form="$form" -v compare="$compare" -v target="$target" \
        -v sdk_text="$(human_time "${sdk:-0}")" -v base_text="$(human_time "${base:-0}")" 'BEGIN {
        ratio = (form == "time") ? paired : 1 / paired;
        separate = "-";
        if (sdk > 0 && base > 0) {
            separate = sprintf("%.3f", (form == "time") ? sdk / base : base / sdk);
        }
        met = (compare == "le") ? (ratio <= target) : (ratio >= target);
        sign = (compare == "le") ? "<=" : ">=";
        printf "| %s | %.3f | %s | %s | %s | %s %s | %s |\n",
            what, ratio, sdk_text, base_text, separate, sign, target, met ? "met" : "missed" }'
}

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "Load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| benchmark | ratio, side by side | SDK median | baseline median | ratio of the medians | target | result |"
echo "|---|---|---|---|---|---|---|"
ratio_row "1. get: SDK time / raw reqwest + serde_json" \
    get/sdk get/raw get_ratio/sdk_over_raw time le 1.05
ratio_row "2. events/s: typed / eventsource-stream" \
    event_stream/typed event_stream/eventsource_stream \
    event_stream_ratio/typed_over_eventsource_stream speed ge 2
ratio_row "3. upload 200 MB, checked contacts: SDK / raw reqwest (throughput)" \
    upload/sdk_checked upload/raw upload_ratio/sdk_checked_over_raw speed ge 0.90
ratio_row "3. check and upload 200 MB: SDK / raw reqwest upload alone (throughput)" \
    upload/sdk upload/raw upload_ratio/sdk_over_raw speed ge 0.90
ratio_row "3. check and upload 200 MB: SDK / csv pass + raw upload (throughput)" \
    upload/sdk upload/raw_csv_then_upload upload_ratio/sdk_over_raw_csv_then_upload speed ge 0.90
ratio_row "4. CSV check: inspect_path / csv byte records (speed)" \
    csv_inspect/inspect_path csv_inspect/csv_byte_records \
    csv_inspect_ratio/inspect_over_byte_records speed ge 0.80
ratio_row "4. CSV check: inspect_path / csv string records (speed)" \
    csv_inspect/inspect_path csv_inspect/csv_string_records \
    csv_inspect_ratio/inspect_over_string_records speed ge 0.80
ratio_row "5. 1,000 concurrent gets, HTTP/1.1: SDK / raw (throughput)" \
    concurrent_get/h1/sdk concurrent_get/h1/raw concurrent_get_ratio/h1 speed ge 0.95
ratio_row "5. 1,000 concurrent gets, HTTP/2: SDK / raw (throughput)" \
    concurrent_get/h2/sdk concurrent_get/h2/raw concurrent_get_ratio/h2 speed ge 0.95

echo
echo "Long lines: one event whose data line has this size, through stream_events (target for 5 MB: < 100 ms):"
echo "| line | median | ns per byte |"
echo "|---|---|---|"
for size in 1 5 10; do
    ns="$(median_ns "long_line/typed/${size}MB")"
    if [ -n "$ns" ]; then
        awk -v size="$size" -v ns="$ns" 'BEGIN {
            printf "| %d MB | %.1f ms | %.2f |\n", size, ns / 1e6, ns / (size * 1e6) }'
    fi
done
raw_five="$(median_ns long_line/eventsource_stream/5MB)"
if [ -n "$raw_five" ]; then
    awk -v ns="$raw_five" 'BEGIN {
        printf "| 5 MB, eventsource-stream | %.1f ms | %.2f |\n", ns / 1e6, ns / 5e6 }'
fi

echo
memory="$data_dir/peak_memory.json"
if [ -f "$memory" ]; then
    echo "Peak resident set size of the uploading process (target for sdk: < 64 MiB):"
    echo "| file | mode | VmHWM | /usr/bin/time -v max RSS |"
    echo "|---|---|---|---|"
    jq -r '.[] | "| \(.file_bytes / 1e6) MB | \(.mode) | \(.vmhwm_kib / 1024 * 10 | round / 10) MiB | \(if .time_max_rss_kib then "\(.time_max_rss_kib / 1024 * 10 | round / 10) MiB" else "-" end) |"' "$memory"
else
    echo "Peak memory: not run (cargo bench --bench upload_memory)"
fi

echo
build="$data_dir/build-cost.json"
if [ -f "$build" ]; then
    echo "Build cost (scripts/build-cost.sh):"
    jq -r '"| clean cargo build | \(.clean_seconds) s |",
        "| rebuild after a one-line openapi.yaml change | \(.spec_change_seconds) s |",
        "| rebuild after touching src/lib.rs | \(.touch_seconds) s |",
        "| rebuild after a one-line openapi.yaml change, CARGO_INCREMENTAL=0 | \(.spec_change_no_incremental_seconds // "not run") s |"' "$build"
else
    echo "Build cost: not run (scripts/build-cost.sh)"
fi
