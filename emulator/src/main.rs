//! The `kataven-emulator` command: runs the Hub emulator until Ctrl+C or
//! SIGTERM.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use kataven_emulator::{Emulator, EmulatorConfig};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
Usage: kataven-emulator [OPTIONS]

Runs a local Kataven Hub emulator on 127.0.0.1 until Ctrl+C or SIGTERM.

Options:
  --port <PORT>              TCP port on 127.0.0.1; 0 picks a free port [default: 0]
  --api-key <KEY>            API key that requests send as a bearer token [default: kataven-emulator-key]
  --time-scale <FACTOR>      simulated seconds per real second [default: 60]
  --seed <N>                 seed of the simulated call outcomes [default: 42]
  --heartbeat-secs <SECS>    real seconds between event-stream heartbeats [default: 15]
  -h, --help                 print this help

Logs go to standard error; RUST_LOG sets the filter (default: info).";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let stop = StopSignal::listen();
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("error: cannot start the emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Kataven Hub emulator listening on {} (API key: {})",
        emulator.url(),
        emulator.api_key()
    );

    let signal = stop.wait().await;
    println!("{signal}: stopping the emulator");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// A listener for the signals that stop the emulator: Ctrl+C and, on Unix,
/// SIGTERM (what `kill` and service managers send). It is set up before the
/// startup line is printed, so a signal sent right after it is not missed.
struct StopSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)))
                .map_err(|error| {
                    eprintln!("warning: cannot listen for SIGINT and SIGTERM: {error}");
                })
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Waits for a signal and returns its name.
    async fn wait(self) -> &'static str {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.signals {
            return tokio::select! {
                _ = interrupt.recv() => "Ctrl+C",
                _ = terminate.recv() => "SIGTERM",
            };
        }
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("error: cannot wait for Ctrl+C: {error}");
        }
        "Ctrl+C"
    }
}

/// Parses the options; `Ok(None)` means help was requested.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<EmulatorConfig>, String> {
    let mut config = EmulatorConfig::default();
    let mut args = args.peekable();

    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = match inline_value.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("option {flag} needs a value")),
        };

        config = match flag.as_str() {
            "--port" => {
                let port = parse::<u16>(&flag, &value, "a port from 0 to 65535")?;
                config.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            }
            "--api-key" => config.api_key(value),
            "--time-scale" => {
                config.time_scale(parse::<f64>(&flag, &value, "a factor such as 60")?)
            }
            "--seed" => config.seed(parse::<u64>(&flag, &value, "a whole number")?),
            "--heartbeat-secs" => {
                let seconds = parse::<f64>(&flag, &value, "a number of seconds such as 15")?;
                let interval = Duration::try_from_secs_f64(seconds).map_err(|_| {
                    format!("{flag} is {value:?}; give a positive number of seconds such as 15")
                })?;
                config.heartbeat_interval(interval)
            }
            _ => return Err(format!("unknown option {flag:?}")),
        };
    }
    Ok(Some(config))
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str, expected: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} is {value:?}; give {expected}"))
}
