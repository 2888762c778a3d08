//! CSV upload throughput on a 200 MB contacts file.
//!
//! `upload/sdk_checked` is `Campaigns::create` with contacts that
//! `Contacts::check` checked before the benchmark: the streaming multipart
//! upload alone, with the checks that the file is still the checked one.
//! `upload/sdk` is `create` from a new `Contacts::from_path`: the check
//! pass over the file, then the upload. `upload/raw` is the upload with
//! reqwest alone, without a check. `upload/raw_csv_then_upload` reads every
//! record with the csv crate first and then uploads, which is what checking
//! a file before sending it costs with the raw stack.
//!
//! The `upload_ratio` group takes the same comparisons side by side: SDK
//! time over baseline time within each sample (see [`support::Ratio`]).

mod support;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use support::{Ratio, Server};

/// The size of the generated file.
const FILE_BYTES: u64 = 200_000_000;

/// Reads every record of the file with the csv crate, as a plain
/// validation pass would, and returns the number of records.
fn csv_pass(path: &std::path::Path) -> u64 {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV");
    let mut record = csv::ByteRecord::new();
    let mut records = 0;
    while reader.read_byte_record(&mut record).expect("read a record") {
        records += 1;
    }
    records
}

/// Runs the csv crate pass on a blocking thread, as the SDK validates, then
/// the raw upload.
async fn raw_csv_then_upload(
    http: &reqwest::Client,
    base_url: &str,
    path: &std::path::Path,
) -> kataven::models::Campaign {
    let file = path.to_owned();
    let records = tokio::task::spawn_blocking(move || csv_pass(&file))
        .await
        .expect("csv pass task");
    assert!(records > 0);
    support::raw_upload(http, base_url, path).await
}

/// Checks the file once, as a caller does with `Contacts::check` before
/// `create`.
fn checked_contacts(
    runtime: &tokio::runtime::Runtime,
    path: &std::path::Path,
) -> kataven::Contacts {
    let mut contacts = kataven::Contacts::from_path(path);
    let contacts_in_file = runtime
        .block_on(contacts.check())
        .expect("the generated file is valid")
        .contacts();
    assert!(contacts_in_file > 0);
    contacts
}

fn upload(c: &mut Criterion) {
    let path = support::contacts_csv(FILE_BYTES);
    let file_len = std::fs::metadata(&path).expect("CSV metadata").len();
    let server = Server::start(Vec::new());
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();

    let checked = checked_contacts(&runtime, &path);

    let mut group = c.benchmark_group("upload");
    group.throughput(Throughput::Bytes(file_len));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("sdk_checked", |b| {
        b.to_async(&runtime)
            .iter(|| support::sdk_upload_checked(&campaigns, &checked));
    });
    group.bench_function("sdk", |b| {
        b.to_async(&runtime)
            .iter(|| support::sdk_upload(&campaigns, &path));
    });
    group.bench_function("raw", |b| {
        b.to_async(&runtime)
            .iter(|| support::raw_upload(&http, &server.url, &path));
    });
    group.bench_function("raw_csv_then_upload", |b| {
        b.to_async(&runtime)
            .iter(|| raw_csv_then_upload(&http, &server.url, &path));
    });
    group.finish();
    println!(
        "upload: file of {file_len} bytes; the server read {} bytes in all",
        server.uploaded_bytes()
    );
}

fn upload_ratio(c: &mut Criterion<Ratio>) {
    let path = support::contacts_csv(FILE_BYTES);
    let server = Server::start(Vec::new());
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();

    let checked = checked_contacts(&runtime, &path);

    let mut group = c.benchmark_group("upload_ratio");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("sdk_checked_over_raw", |b| {
        b.to_async(&runtime).iter_custom(|iters| {
            support::ratio_of(
                iters,
                || support::sdk_upload_checked(&campaigns, &checked),
                || support::raw_upload(&http, &server.url, &path),
            )
        });
    });
    group.bench_function("sdk_over_raw", |b| {
        b.to_async(&runtime).iter_custom(|iters| {
            support::ratio_of(
                iters,
                || support::sdk_upload(&campaigns, &path),
                || support::raw_upload(&http, &server.url, &path),
            )
        });
    });
    group.bench_function("sdk_over_raw_csv_then_upload", |b| {
        b.to_async(&runtime).iter_custom(|iters| {
            support::ratio_of(
                iters,
                || support::sdk_upload(&campaigns, &path),
                || raw_csv_then_upload(&http, &server.url, &path),
            )
        });
    });
    group.finish();
}

criterion_group!(absolute, upload);
criterion_group! {
    name = side_by_side;
    config = support::ratio_criterion();
    targets = upload_ratio
}
criterion_main!(absolute, side_by_side);
