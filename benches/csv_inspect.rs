//! Pre-flight validation against a plain csv crate pass over the same file.
//!
//! `csv_inspect/inspect_path` is `kataven::csv::inspect_path` with default
//! options on a 200 MB contacts file. `csv_inspect/csv_byte_records` reads
//! every record of the same file with the csv crate's `read_byte_record`,
//! the fastest way that crate offers, and `csv_inspect/csv_string_records`
//! does the same with `read_record`, which also checks UTF-8.
//!
//! `csv_inspect_ratio/inspect_over_{byte,string}_records` take the same
//! comparisons side by side: `inspect_path` time over csv crate time within
//! each sample (see [`support::Ratio`]).

mod support;

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use support::Ratio;

/// The size of the generated file, the same file the upload benchmark uses.
const FILE_BYTES: u64 = 200_000_000;

fn byte_records(path: &Path) -> u64 {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV");
    let mut record = csv::ByteRecord::new();
    let mut records = 0;
    while reader.read_byte_record(&mut record).expect("read a record") {
        records += 1;
    }
    records
}

fn string_records(path: &Path) -> u64 {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV");
    let mut record = csv::StringRecord::new();
    let mut records = 0;
    while reader.read_record(&mut record).expect("read a record") {
        records += 1;
    }
    records
}

/// Runs `inspect_path` and checks that the file is valid and complete.
fn inspect_file(path: &Path, options: &kataven::csv::CsvOptions, expected: u64) {
    let report = kataven::csv::inspect_path(path, options).expect("inspect_path");
    assert!(report.is_valid(), "{:?}", report.problems());
    assert_eq!(report.contacts(), expected);
}

fn inspect(c: &mut Criterion) {
    let path = support::contacts_csv(FILE_BYTES);
    let file_len = std::fs::metadata(&path).expect("CSV metadata").len();
    let options = kataven::csv::CsvOptions::new();
    let expected = byte_records(&path);

    let mut group = c.benchmark_group("csv_inspect");
    group.throughput(Throughput::Bytes(file_len));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("inspect_path", |b| {
        b.iter(|| inspect_file(&path, &options, expected));
    });
    group.bench_function("csv_byte_records", |b| {
        b.iter(|| assert_eq!(byte_records(&path), expected));
    });
    group.bench_function("csv_string_records", |b| {
        b.iter(|| assert_eq!(string_records(&path), expected));
    });
    group.finish();
}

fn inspect_ratio(c: &mut Criterion<Ratio>) {
    let path = support::contacts_csv(FILE_BYTES);
    let options = kataven::csv::CsvOptions::new();
    let expected = byte_records(&path);

    let mut group = c.benchmark_group("csv_inspect_ratio");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("inspect_over_byte_records", |b| {
        b.iter_custom(|iters| {
            support::ratio_of_blocking(
                iters,
                || inspect_file(&path, &options, expected),
                || assert_eq!(byte_records(&path), expected),
            )
        });
    });
    group.bench_function("inspect_over_string_records", |b| {
        b.iter_custom(|iters| {
            support::ratio_of_blocking(
                iters,
                || inspect_file(&path, &options, expected),
                || assert_eq!(string_records(&path), expected),
            )
        });
    });
    group.finish();
}

criterion_group!(absolute, inspect);
criterion_group! {
    name = side_by_side;
    config = support::ratio_criterion();
    targets = inspect_ratio
}
criterion_main!(absolute, side_by_side);
