//! CSV upload throughput on a 200 MB contacts file.
//!
//! `upload/sdk` is `Campaigns::create`: the pre-flight validation pass over
//! the file, then the streaming multipart upload. `upload/raw` is the same
//! upload with reqwest alone, without validation. `upload/raw_csv_then_upload`
//! reads every record with the csv crate first and then uploads, which is
//! what checking a file before sending it costs with the raw stack.
//!
//! `upload_ratio/sdk_over_raw` and `upload_ratio/sdk_over_raw_csv_then_upload`
//! take the same comparisons side by side: SDK time over baseline time
//! within each sample (see [`support::Ratio`]).

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

fn upload(c: &mut Criterion) {
    let path = support::contacts_csv(FILE_BYTES);
    let file_len = std::fs::metadata(&path).expect("CSV metadata").len();
    let server = Server::start(Vec::new());
    let runtime = support::client_runtime();
    let campaigns = support::sdk_client(&server, support::http_client()).campaigns();
    let http = support::http_client();

    let mut group = c.benchmark_group("upload");
    group.throughput(Throughput::Bytes(file_len));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(15));
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

    let mut group = c.benchmark_group("upload_ratio");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
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
