//! Tests of the public functions: the handed cases, RFC 4180 edge cases and
//! property tests. Every helper here checks that `upload_len` equals the
//! bytes `write_upload` writes, and that a chunked reader gives the same
//! report as a slice.

mod cases;
mod edges;
mod props;
mod scanner;

use std::collections::BTreeMap;
use std::io::{self, Read};

use super::*;

/// A reader that returns the bytes in reads of the given sizes, cycling
/// through them.
pub(super) struct Chunked<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) sizes: Vec<usize>,
    pub(super) next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self
            .sizes
            .get(self.next % self.sizes.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1);
        self.next += 1;
        let len = size.min(buf.len()).min(self.bytes.len());
        let (now, rest) = self.bytes.split_at(len);
        buf[..len].copy_from_slice(now);
        self.bytes = rest;
        Ok(len)
    }
}

/// Inspects `input`, writes its upload, and checks that the two agree.
/// Returns the report and the upload.
pub(super) fn run(input: &[u8], options: &CsvOptions) -> (CsvReport, Vec<u8>) {
    let report = inspect(input, options);

    let mut upload = Vec::new();
    let result = write_upload(input, options, &mut upload);
    assert_eq!(
        upload.len() as u64,
        report.upload_len(),
        "upload_len differs from the bytes written"
    );
    match result {
        Ok(written) => {
            assert!(
                report.is_valid(),
                "write_upload succeeded on an invalid file"
            );
            assert_eq!(written, upload.len() as u64);
        }
        Err(error) => {
            assert!(
                !report.is_valid(),
                "write_upload failed on a valid file: {error}"
            );
            assert_eq!(error.kind(), io::ErrorKind::InvalidData);
            let inner = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<CsvError>());
            assert_eq!(inner.map(CsvError::report), Some(&report));
        }
    }

    if report.is_verbatim() {
        let bom_len = report.bom_len() as usize;
        assert_eq!(
            upload,
            input[bom_len..],
            "verbatim upload differs from input"
        );
    }

    let chunked = Chunked {
        bytes: input,
        sizes: vec![1, 3, 2, 7],
        next: 0,
    };
    let streamed = inspect_reader(chunked, options).unwrap();
    assert_eq!(streamed, report, "chunked reader gives another report");

    (report, upload)
}

/// Parses an upload with the `csv` crate into rows of strings.
pub(super) fn parse(upload: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(upload)
        .records()
        .map(|record| {
            record
                .unwrap()
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Parses an upload into contacts, each a map from header name to value.
pub(super) fn contacts(upload: &[u8]) -> Vec<BTreeMap<String, String>> {
    let rows = parse(upload);
    let Some((header, records)) = rows.split_first() else {
        return Vec::new();
    };
    records
        .iter()
        .map(|record| header.iter().cloned().zip(record.iter().cloned()).collect())
        .collect()
}

/// Returns the kinds of the kept problems.
pub(super) fn kinds(report: &CsvReport) -> Vec<CsvProblemKind> {
    report
        .problems()
        .iter()
        .map(|problem| problem.kind().clone())
        .collect()
}

/// Returns the messages of the kept problems.
pub(super) fn messages(report: &CsvReport) -> Vec<String> {
    report.problems().iter().map(ToString::to_string).collect()
}
