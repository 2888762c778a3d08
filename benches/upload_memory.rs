//! Peak memory of a CSV upload, for two file sizes.
//!
//! Each measurement runs in a child process (this binary with `--child`),
//! so that the peak resident set size (`VmHWM`) counts the client alone:
//! the loopback server runs in this parent process. The child reads its own
//! `VmHWM` at the end. When `/usr/bin/time` exists, the child also runs
//! under `/usr/bin/time -v`, whose maximum resident set size is shown
//! beside it.
//!
//! Modes: `baseline` builds an SDK client and makes one `get` call, the
//! floor of any process; `sdk` creates a campaign from the file; `raw`
//! uploads it with reqwest alone. The results go to stdout and to
//! `peak_memory.json` in the benchmark data folder.
//!
//! Run it with `cargo bench --bench upload_memory`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Server, CAMPAIGN_ID};

/// The file sizes measured, 10 times apart.
const FILE_SIZES: [u64; 2] = [20_000_000, 200_000_000];

const MODES: [&str; 3] = ["baseline", "sdk", "raw"];

/// The benchmark's name, for criterion-style filters on the command line.
const NAME: &str = "upload_memory/peak_rss";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|filter| NAME.contains(filter.as_str())) {
        return;
    }
    parent();
}

struct Measurement {
    file_bytes: u64,
    mode: &'static str,
    vmhwm_kib: u64,
    time_max_rss_kib: Option<u64>,
}

fn parent() {
    let server = Server::start(Vec::new());
    let executable = std::env::current_exe().expect("path of this binary");
    let time = Path::new("/usr/bin/time");

    let mut results = Vec::new();
    for file_bytes in FILE_SIZES {
        let path = support::contacts_csv(file_bytes);
        for mode in MODES {
            let mut command = if time.exists() {
                let mut command = Command::new(time);
                command.arg("-v").arg(&executable);
                command
            } else {
                Command::new(&executable)
            };
            command.arg("--child").arg(mode).arg(&server.url).arg(&path);
            let output = command.output().expect("run the child process");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success(),
                "child {mode} failed: {stdout}\n{stderr}"
            );
            let vmhwm_kib = find_number(&stdout, "vmhwm_kib=").expect("VmHWM from the child");
            let time_max_rss_kib = find_number(&stderr, "Maximum resident set size (kbytes): ");
            results.push(Measurement {
                file_bytes,
                mode,
                vmhwm_kib,
                time_max_rss_kib,
            });
        }
    }

    println!("{NAME}: peak resident set size of the client process");
    println!(
        "{:>12}  {:<9} {:>12} {:>22}",
        "file bytes", "mode", "VmHWM MiB", "time -v max RSS MiB"
    );
    for result in &results {
        let time_mib = result
            .time_max_rss_kib
            .map_or("-".to_owned(), |kib| format!("{:.1}", kib as f64 / 1024.0));
        println!(
            "{:>12}  {:<9} {:>12.1} {:>22}",
            result.file_bytes,
            result.mode,
            result.vmhwm_kib as f64 / 1024.0,
            time_mib
        );
    }
    write_json(&support::data_dir().join("peak_memory.json"), &results);
}

fn find_number(text: &str, prefix: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(prefix))
        .and_then(|value| value.trim().parse().ok())
}

fn write_json(path: &Path, results: &[Measurement]) {
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|result| {
            serde_json::json!({
                "file_bytes": result.file_bytes,
                "mode": result.mode,
                "vmhwm_kib": result.vmhwm_kib,
                "time_max_rss_kib": result.time_max_rss_kib,
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&rows).expect("encode the results");
    std::fs::write(path, text).expect("write peak_memory.json");
}

/// Runs one measurement: `--child MODE URL PATH`.
fn child(args: &[String]) {
    let [mode, url, path] = args else {
        panic!("usage: --child baseline|sdk|raw URL PATH");
    };
    let path = PathBuf::from(path);
    // A runtime as `#[tokio::main]` builds it: one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let http = support::http_client();
        let client = kataven::Client::builder()
            .api_key(support::API_KEY)
            .base_url(url)
            .http_client(http.clone())
            .build()
            .expect("SDK client");
        let campaigns = client.campaigns();
        match mode.as_str() {
            "baseline" => {
                campaigns.get(CAMPAIGN_ID).await.expect("SDK get");
            }
            "sdk" => {
                support::sdk_upload(&campaigns, &path).await;
            }
            "raw" => {
                support::raw_upload(&http, url, &path).await;
            }
            other => panic!("unknown mode {other:?}"),
        }
    });
    drop(runtime);
    let peak = support::peak_rss_kib().expect("VmHWM in /proc/self/status");
    println!("vmhwm_kib={peak}");
}
