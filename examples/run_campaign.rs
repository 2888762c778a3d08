//! Runs a campaign from a contacts CSV and watches it live.
//!
//! ```text
//! cargo run --example run_campaign -- [CSV] [--name NAME] [--agent-id ID]
//!     [--phone-number-id ID] [--max-concurrent-calls N] [--retries-per-contact N]
//!     [--retry-delay-seconds N] [--delimiter C] [--phone-column NAME] [--encoding NAME]
//!     [--time-scale X]
//! ```
//!
//! With `KATAVEN_BASE_URL` set, it runs against that Hub with the key in
//! `KATAVEN_API_KEY`. Without it, it starts the local Hub emulator in this
//! process and runs there, so it works on any machine with no account.
//!
//! It validates the CSV, creates and starts the campaign, shows a progress
//! bar driven by the event stream, and prints a summary with the contacts
//! that did not complete. Ctrl-C pauses the campaign before exiting.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use kataven::csv::Encoding;
use kataven::events::StreamItem;
use kataven::models::{CampaignProgress, ContactStatus};
use kataven::{Client, Contacts};

const DEFAULT_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/contacts.csv");
const USAGE: &str = "usage: run_campaign [CSV] [--name NAME] [--agent-id ID] [--phone-number-id ID] \
[--max-concurrent-calls N] [--retries-per-contact N] [--retry-delay-seconds N] [--delimiter C] \
[--phone-column NAME] [--encoding NAME] [--time-scale X]

  CSV                       contacts file with a phone_number column (default: examples/contacts.csv)
  --name NAME               campaign name (default: \"Renewal reminders\")
  --agent-id ID             voice agent that makes the calls (default: agt_renewals)
  --phone-number-id ID      outbound number the calls come from (default: pn_main)
  --max-concurrent-calls N  calls in flight at once, 1 to 100 (default: 20)
  --retries-per-contact N   retries of an unanswered, busy or failed contact, 0 to 10 (default: 1)
  --retry-delay-seconds N   seconds before a retry, 60 to 86400 (default: 120)
  --delimiter C             the CSV's one-byte delimiter, such as ';' (default: ',')
  --phone-column NAME       the column that holds the phone numbers (default: phone_number)
  --encoding NAME           the CSV's encoding: utf-8, windows-1252, latin-1, utf-16le or utf-16be
                            (default: utf-8)
  --time-scale X            emulator only: simulated seconds per real second (default: 120)";

struct Args {
    csv: PathBuf,
    name: String,
    agent_id: String,
    phone_number_id: String,
    max_concurrent_calls: u32,
    retries_per_contact: u32,
    retry_delay_seconds: u32,
    csv_options: kataven::csv::CsvOptions,
    time_scale: f64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        csv: PathBuf::from(DEFAULT_CSV),
        name: "Renewal reminders".to_owned(),
        agent_id: "agt_renewals".to_owned(),
        phone_number_id: "pn_main".to_owned(),
        max_concurrent_calls: 20,
        retries_per_contact: 1,
        retry_delay_seconds: 120,
        csv_options: kataven::csv::CsvOptions::new(),
        time_scale: 120.0,
    };
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        let mut value = |flag: &str| {
            raw.next()
                .with_context(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--name" => args.name = value("--name")?,
            "--agent-id" => args.agent_id = value("--agent-id")?,
            "--phone-number-id" => args.phone_number_id = value("--phone-number-id")?,
            "--max-concurrent-calls" => args.max_concurrent_calls = number(&value(&arg)?, &arg)?,
            "--retries-per-contact" => args.retries_per_contact = number(&value(&arg)?, &arg)?,
            "--retry-delay-seconds" => args.retry_delay_seconds = number(&value(&arg)?, &arg)?,
            "--time-scale" => args.time_scale = number(&value(&arg)?, &arg)?,
            "--delimiter" => {
                let delimiter = value("--delimiter")?;
                let [byte] = delimiter.as_bytes() else {
                    bail!("--delimiter expects one ASCII character, got {delimiter:?}");
                };
                args.csv_options = args.csv_options.delimiter(*byte);
            }
            "--encoding" => {
                let name = value("--encoding")?;
                let encoding = match name.to_ascii_lowercase().as_str() {
                    "utf-8" | "utf8" => Encoding::Utf8,
                    "windows-1252" | "cp1252" => Encoding::Windows1252,
                    "latin-1" | "latin1" | "iso-8859-1" => Encoding::Latin1,
                    "utf-16le" => Encoding::Utf16Le,
                    "utf-16be" => Encoding::Utf16Be,
                    _ => bail!("unknown encoding {name:?}\n{USAGE}"),
                };
                args.csv_options = args.csv_options.encoding(encoding);
            }
            "--phone-column" => {
                args.csv_options = args.csv_options.phone_column(value("--phone-column")?);
            }
            flag if flag.starts_with('-') => bail!("unknown option {flag}\n{USAGE}"),
            path => args.csv = PathBuf::from(path),
        }
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(value: &str, flag: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("{flag} expects a number, got {value:?}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = parse_args()?;

    // 1. Connect: the configured Hub, or an emulator in this process.
    let (client, emulator) = connect(&args).await?;

    // 2. Check the file before anything is sent. `create` uses this check
    //    and does not read the file again.
    let mut contacts = Contacts::from_path(&args.csv).options(args.csv_options.clone());
    let report = match contacts.check().await {
        Ok(report) => report,
        Err(error) => match error.csv_report() {
            Some(report) => {
                eprintln!(
                    "{} is not a valid contacts file (the options --delimiter, --phone-column \
                     and --encoding set CsvOptions here):",
                    args.csv.display()
                );
                for problem in report.problems() {
                    eprintln!("  {problem}");
                }
                std::process::exit(1);
            }
            None => {
                return Err(anyhow::Error::new(error)
                    .context(format!("cannot read {}", args.csv.display())))
            }
        },
    };
    println!(
        "Validated {}: {} {}, columns {}",
        args.csv.display(),
        report.contacts(),
        if report.contacts() == 1 {
            "contact"
        } else {
            "contacts"
        },
        report.columns().join(", ")
    );

    // 3. Create and start the campaign.
    let campaigns = client.campaigns();
    let campaign = campaigns
        .create(&args.name, &args.agent_id, &args.phone_number_id, contacts)
        .max_concurrent_calls(args.max_concurrent_calls)
        .retries_per_contact(args.retries_per_contact)
        .retry_delay_seconds(args.retry_delay_seconds)
        .await?;
    println!(
        "Created campaign {} ({}) with {} {}",
        campaign.id,
        campaign.status,
        campaign.progress.total,
        if campaign.progress.total == 1 {
            "contact"
        } else {
            "contacts"
        }
    );
    campaigns.start(&campaign.id).await?;
    println!(
        "Started: at most {} calls at once, retries per contact: {}",
        args.max_concurrent_calls, args.retries_per_contact
    );

    // The emulator cuts the event stream after 250 events until the client
    // has reconnected, to show that the stream resumes where it stopped
    // without losing an event. A connection opened before the cut is
    // switched off is cut too, so the run usually shows two reconnects.
    if let Some(emulator) = &emulator {
        emulator.faults().cut_streams_after(Some(250));
    }

    // 4. Watch the campaign until it ends, or pause it on Ctrl-C.
    let bar = ProgressBar::new(campaign.progress.total.try_into().unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} done {elapsed} {msg}")
            .context("progress bar template")?,
    );
    // One listener for the whole loop, so that a Ctrl-C arriving between two
    // events is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut events = campaigns.stream_events(&campaign.id)?;
    let mut last_progress = campaign.progress.clone();
    let mut received = 0u64;
    loop {
        let item = tokio::select! {
            item = events.next() => item,
            _ = &mut ctrl_c => {
                bar.abandon_with_message("interrupted");
                let paused = campaigns.pause(&campaign.id).await?;
                println!("Paused campaign {} ({}).", paused.id, paused.status);
                if emulator.is_some() {
                    println!("The in-process emulator stops with this program, so the campaign ends here.");
                } else {
                    println!("Resume it with Campaigns::resume, or stop it with Campaigns::stop.");
                }
                // 128 + SIGINT, the usual exit status after Ctrl-C.
                std::process::exit(130);
            }
        };
        let Some(item) = item else { break };
        match item? {
            StreamItem::Progress(event) => {
                received += 1;
                last_progress = event.progress.clone();
                // The message first, so that a redraw never pairs the new
                // position with the previous event's counts.
                bar.set_message(format!(
                    "{} in flight | {} | reconnects {}",
                    event.calls_in_flight,
                    counts(&last_progress),
                    events.reconnects()
                ));
                bar.set_position(position(&last_progress));
            }
            StreamItem::End(end) => {
                if let Some(summary) = end.summary {
                    last_progress = summary.progress;
                }
                bar.set_position(position(&last_progress));
                bar.finish_with_message(format!(
                    "{} | reconnects {}",
                    counts(&last_progress),
                    events.reconnects()
                ));
                break;
            }
            StreamItem::Contact(_) | StreamItem::Status(_) => received += 1,
            _ => {}
        }
        if events.reconnects() > 0 {
            if let Some(emulator) = &emulator {
                emulator.faults().cut_streams_after(None);
            }
        }
    }

    // 5. Summarise from the Hub's own records.
    let campaign = campaigns.get(&campaign.id).await?;
    println!();
    println!(
        "Campaign {} is {} ({} events received)",
        campaign.id, campaign.status, received
    );
    print_summary(&campaign.progress);
    print_unfinished(&campaigns, &campaign.id).await?;
    Ok(())
}

async fn connect(args: &Args) -> anyhow::Result<(Client, Option<kataven_emulator::Emulator>)> {
    // An empty value counts as unset, as it does for Client::from_env.
    let configured = std::env::var_os(kataven::BASE_URL_ENV).is_some_and(|url| !url.is_empty());
    if configured {
        return Ok((Client::from_env()?, None));
    }
    let emulator = kataven_emulator::Emulator::start(
        kataven_emulator::EmulatorConfig::default().time_scale(args.time_scale),
    )
    .await
    .context("cannot start the Hub emulator")?;
    println!(
        "{} is not set: using the Hub emulator at {} (time x{})",
        kataven::BASE_URL_ENV,
        emulator.url(),
        args.time_scale
    );
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.url())
        .max_reconnect_delay(Duration::from_millis(500))
        .build()?;
    Ok((client, Some(emulator)))
}

fn position(progress: &CampaignProgress) -> u64 {
    u64::try_from(progress.finished()).unwrap_or(0)
}

fn counts(progress: &CampaignProgress) -> String {
    format!(
        "completed {} no answer {} busy {} failed {} pending {}",
        progress.completed, progress.no_answer, progress.busy, progress.failed, progress.pending
    )
}

fn print_summary(progress: &CampaignProgress) {
    let rows = [
        ("completed", progress.completed),
        ("no_answer", progress.no_answer),
        ("busy", progress.busy),
        ("failed", progress.failed),
        ("cancelled", progress.cancelled),
        ("pending", progress.pending),
        ("dialing", progress.dialing),
        ("in_progress", progress.in_progress),
    ];
    println!("{:<12} {:>6}", "status", "count");
    for (status, count) in rows {
        println!("{status:<12} {count:>6}");
    }
    println!("{:<12} {:>6}", "total", progress.total);
}

/// Prints the contacts that did not complete, with the Hub's reasons.
async fn print_unfinished(campaigns: &kataven::Campaigns, campaign_id: &str) -> anyhow::Result<()> {
    const SHOWN: usize = 15;
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut shown = Vec::new();
    for status in [
        ContactStatus::Failed,
        ContactStatus::Busy,
        ContactStatus::NoAnswer,
    ] {
        let mut contacts = campaigns
            .list_contacts(campaign_id)
            .status(status)
            .into_stream();
        while let Some(contact) = contacts.next().await {
            let contact = contact?;
            let reason = contact
                .last_error
                .clone()
                .unwrap_or_else(|| contact.status.to_string());
            *by_reason.entry(reason.clone()).or_default() += 1;
            if shown.len() < SHOWN {
                let name = contact
                    .custom_fields
                    .get("first_name")
                    .cloned()
                    .unwrap_or_else(|| contact.id.clone());
                shown.push((
                    contact.phone_number,
                    name,
                    contact.status.to_string(),
                    contact.attempts,
                    reason,
                ));
            }
        }
    }

    let total: u64 = by_reason.values().sum();
    if total == 0 {
        println!("\nEvery contact completed.");
        return Ok(());
    }

    let noun = if total == 1 { "contact" } else { "contacts" };
    println!("\n{total} {noun} did not complete:");
    println!(
        "{:<18} {:<10} {:<10} {:>8}  reason",
        "phone_number", "first_name", "status", "attempts"
    );
    for (phone, name, status, attempts, reason) in &shown {
        println!("{phone:<18} {name:<10} {status:<10} {attempts:>8}  {reason}");
    }
    if total > SHOWN as u64 {
        println!("... and {} more", total - SHOWN as u64);
    }

    println!("\nBy reason:");
    for (reason, count) in by_reason {
        println!("  {count:>4}  {reason}");
    }
    Ok(())
}
