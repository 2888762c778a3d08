//! The `kataven-emulator` command.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_kataven-emulator");

/// Ends the child process this test started when the test ends, even on a failed assertion.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_url_and_serves() {
    let child = Command::new(BINARY)
        .args([
            "--port",
            "0",
            "--api-key",
            "cli-key",
            "--time-scale",
            "1000",
            "--seed",
            "3",
            "--heartbeat-secs",
            "0.5",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("failed to run {BINARY}: {error}"));
    let mut child = KillOnDrop(child);
    let Some(stdout) = child.0.stdout.take() else {
        panic!("no stdout");
    };
    let line = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await;

    let line = match line {
        Ok(Ok(Ok(line))) => line,
        other => panic!("no startup line: {other:?}"),
    };
    let prefix = "Kataven Hub emulator listening on ";
    let suffix = " (API key: cli-key)\n";
    assert!(
        line.starts_with(prefix) && line.ends_with(suffix),
        "{line:?}"
    );
    let url = &line[prefix.len()..line.len() - suffix.len()];
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = reqwest::Client::builder().no_proxy().build();
    let response = match client {
        Ok(client) => {
            client
                .get(format!("{url}/api/v1/campaigns"))
                .bearer_auth("cli-key")
                .send()
                .await
        }
        Err(error) => panic!("client: {error}"),
    };
    assert_eq!(
        response.map(|response| response.status().as_u16()).ok(),
        Some(200)
    );
}

#[test]
fn binary_help_exits_zero() {
    let output = Command::new(BINARY)
        .arg("--help")
        .output()
        .unwrap_or_else(|error| panic!("failed to run {BINARY}: {error}"));
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("--time-scale"));
}

#[test]
fn binary_rejects_bad_option() {
    for args in [
        &["--bogus", "1"][..],
        &["--port", "seventy"],
        &["--time-scale"],
    ] {
        let output = Command::new(BINARY)
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("failed to run {BINARY}: {error}"));
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
    let output = Command::new(BINARY)
        .args(["--time-scale", "-1"])
        .output()
        .unwrap_or_else(|error| panic!("failed to run {BINARY}: {error}"));
    assert_eq!(output.status.code(), Some(1));
}

#[cfg(unix)]
#[test]
fn binary_stops_on_sigterm() {
    let child = Command::new(BINARY)
        .args(["--port", "0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("failed to run {BINARY}: {error}"));
    let mut child = KillOnDrop(child);
    let Some(stdout) = child.0.stdout.take() else {
        panic!("no stdout");
    };
    let mut lines = BufReader::new(stdout).lines();
    let started = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(started.contains("listening on"), "{started:?}");

    let sent = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap_or_else(|error| panic!("failed to run kill: {error}"));
    assert!(sent.success());

    let stopping = lines.next().and_then(Result::ok).unwrap_or_default();
    assert_eq!(stopping, "SIGTERM: stopping the emulator");
    let status = child
        .0
        .wait()
        .unwrap_or_else(|error| panic!("wait: {error}"));
    assert!(status.success(), "{status}");
}
