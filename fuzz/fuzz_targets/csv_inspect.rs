//! Fuzzes the contacts CSV validator: no panic on any bytes, at most
//! `max_problems` problems kept, the same report for any read size, and an
//! upload whose length is the report's `upload_len`.

#![no_main]

use std::io::Read;

use kataven::csv::{inspect, inspect_reader, write_upload, CsvOptions, Encoding};
use libfuzzer_sys::fuzz_target;

/// A reader that returns at most `size` bytes per read.
struct Chunked<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let len = self.size.min(buffer.len()).min(self.bytes.len());
        let (now, rest) = self.bytes.split_at(len);
        buffer[..len].copy_from_slice(now);
        self.bytes = rest;
        Ok(len)
    }
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes choose the options and the read size.
    let [choice, size, input @ ..] = data else {
        return;
    };
    let delimiter = [b',', b';', b'\t', b'|'][usize::from(choice & 3)];
    let encoding = [
        Encoding::Utf8,
        Encoding::Windows1252,
        Encoding::Latin1,
        Encoding::Utf16Le,
    ][usize::from((choice >> 2) & 3)];
    let max_problems = usize::from(choice >> 5);
    let options = CsvOptions::new()
        .delimiter(delimiter)
        .encoding(encoding)
        .skip_invalid_rows(choice & 16 != 0)
        .max_problems(max_problems);

    let report = inspect(input, &options);
    assert!(report.problems().len() <= max_problems);
    assert!(report.problem_count() >= report.problems().len() as u64);

    let chunked = Chunked {
        bytes: input,
        size: usize::from(*size).max(1),
    };
    let streamed = inspect_reader(chunked, &options).expect("reading a slice does not fail");
    assert_eq!(streamed, report);

    let mut upload = Vec::new();
    let written = write_upload(input, &options, &mut upload);
    assert_eq!(upload.len() as u64, report.upload_len());
    assert_eq!(written.is_ok(), report.is_valid());
});
