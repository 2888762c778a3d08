//! Property tests: any input is handled without a panic, and generated valid
//! tables survive the upload value for value.

use proptest::prelude::*;
use proptest::sample::select;

use super::super::phone::trim_blank_bytes;
use super::*;

/// Bytes that make CSV structure, invalid UTF-8, byte-order marks and NULs
/// likely, so that random inputs reach deep into the parser.
const CSV_ALPHABET: &[u8] = b"phone_number,;\t|\"\r\n +0123456789eE.a\xEF\xBB\xBF\xE9\xFF\xFE\x00";

fn options() -> impl Strategy<Value = CsvOptions> {
    (
        select(vec![b',', b';', b'\t', b'"']),
        select(vec![
            Encoding::Utf8,
            Encoding::Windows1252,
            Encoding::Latin1,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
        ]),
        any::<bool>(),
        0usize..4,
    )
        .prop_map(|(delimiter, encoding, skip, max_problems)| {
            CsvOptions::new()
                .delimiter(delimiter)
                .encoding(encoding)
                .skip_invalid_rows(skip)
                .max_problems(max_problems)
        })
}

fn messy_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        proptest::collection::vec(select(CSV_ALPHABET.to_vec()), 0..400),
        proptest::collection::vec(select(CSV_ALPHABET.to_vec()), 0..400).prop_map(|tail| {
            let mut bytes = b"phone_number,name\n+12025550101,".to_vec();
            bytes.extend(tail);
            bytes
        }),
        rows(),
        rows(),
    ]
}

/// Rows that make valid files with tricky structure likely: quoted values
/// with delimiters, breaks and quotes, blank rows, and a few invalid rows.
const ROWS: &[&[u8]] = &[
    b"+12025550101,Ana",
    b"0044 20 7946 0958,\"Lee, Max\"",
    b"+12025550102,\"a\r\nb\"",
    b"+12025550103,\"\"\"VIP\"\"\"",
    b"+12025550104,\"\"",
    b"\"+1 (202) 555-0105\",\"x\ry\"",
    b"+12025550106,\xEF\xBB\xBF",
    b",",
    b" , ",
    b"",
    b"123,x",
    b"+12025550107,\"open",
];

const LINE_ENDINGS: &[&[u8]] = &[b"\r\n", b"\n", b"\r", b"\r\n\r\n"];

fn rows() -> impl Strategy<Value = Vec<u8>> {
    let header = select(vec![
        &b"phone_number,name"[..],
        b"\xEF\xBB\xBFphone_number,name",
        b"\"phone_number\",name ",
    ]);
    let row = (select(ROWS.to_vec()), select(LINE_ENDINGS.to_vec()));
    (
        header,
        select(LINE_ENDINGS.to_vec()),
        proptest::collection::vec(row, 0..8),
        any::<bool>(),
    )
        .prop_map(|(header, header_ending, rows, last_ending)| {
            let mut bytes = header.to_vec();
            bytes.extend_from_slice(header_ending);
            let count = rows.len();
            for (index, (row, ending)) in rows.into_iter().enumerate() {
                bytes.extend_from_slice(row);
                if index + 1 < count || last_ending {
                    bytes.extend_from_slice(ending);
                }
            }
            bytes
        })
}

fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..9, 1..6)
}

/// A table of contacts and the way it is written to a file.
#[derive(Debug, Clone)]
struct Table {
    /// Header names, with `phone_number` for the phone column.
    names: Vec<String>,
    /// Rows of values, one per name.
    rows: Vec<Vec<String>>,
    delimiter: u8,
    line_ending: &'static str,
    quote_all: bool,
    bom: bool,
    ends_with_line_ending: bool,
    /// Spaces written around each header name.
    padded: bool,
    encoding: Encoding,
}

impl Table {
    fn to_file(&self) -> Vec<u8> {
        let delimiter = char::from(self.delimiter).to_string();
        let header: Vec<String> = self
            .names
            .iter()
            .map(|name| {
                let name = if self.padded {
                    format!(" {name} ")
                } else {
                    name.clone()
                };
                self.quote(&name)
            })
            .collect();
        let mut lines = vec![header.join(&delimiter)];
        for row in &self.rows {
            let fields: Vec<String> = row.iter().map(|value| self.quote(value)).collect();
            lines.push(fields.join(&delimiter));
        }
        let mut text = lines.join(self.line_ending);
        if self.ends_with_line_ending {
            text.push_str(self.line_ending);
        }

        match self.encoding {
            Encoding::Utf16Le => {
                let bom = if self.bom { "\u{FEFF}" } else { "" };
                format!("{bom}{text}")
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect()
            }
            _ => {
                let mut bytes = if self.bom {
                    b"\xEF\xBB\xBF".to_vec()
                } else {
                    Vec::new()
                };
                bytes.extend_from_slice(text.as_bytes());
                bytes
            }
        }
    }

    fn quote(&self, value: &str) -> String {
        let special = |character: char| {
            character == char::from(self.delimiter) || matches!(character, '"' | '\r' | '\n')
        };
        if self.quote_all || value.contains(special) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_owned()
        }
    }
}

fn table() -> impl Strategy<Value = Table> {
    let shape = (0usize..4, 1usize..8);
    shape.prop_flat_map(|(custom_columns, row_count)| {
        let phone_position = 0..=custom_columns;
        let value = "[a-z0-9 ,;|\\t\"\\r\\né😀€]{0,10}";
        let phone = "\\+?[0-9]{3}[ .-]?[0-9]{4,12}";
        let row = (phone, proptest::collection::vec(value, custom_columns));
        (
            phone_position,
            proptest::collection::vec(row, row_count),
            select(vec![b',', b';', b'\t', b'|']),
            select(vec!["\r\n", "\n", "\r"]),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            select(vec![Encoding::Utf8, Encoding::Utf16Le]),
        )
            .prop_map(
                move |(
                    phone_position,
                    rows,
                    delimiter,
                    line_ending,
                    quote_all,
                    bom,
                    ends_with_line_ending,
                    padded,
                    encoding,
                )| {
                    let mut names: Vec<String> = (0..custom_columns)
                        .map(|index| format!("c{index}"))
                        .collect();
                    names.insert(phone_position, "phone_number".to_owned());
                    let rows = rows
                        .into_iter()
                        .map(|(phone, mut values)| {
                            values.insert(phone_position, phone);
                            values
                        })
                        .collect();
                    Table {
                        names,
                        rows,
                        delimiter,
                        line_ending,
                        quote_all,
                        bom,
                        ends_with_line_ending,
                        padded,
                        encoding,
                    }
                },
            )
    })
}

/// Parses UTF-8 input as the `csv` crate reads it, without blank rows, and
/// with the header trimmed and the phone column named `phone_number`: the
/// records a valid upload must contain.
fn expected_records(input: &[u8], options: &CsvOptions) -> Vec<Vec<Vec<u8>>> {
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut records: Vec<Vec<Vec<u8>>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(options.delimiter)
        .from_reader(body)
        .byte_records()
        .map(|record| {
            record
                .unwrap()
                .iter()
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .filter(|fields| {
            fields
                .iter()
                .any(|field| !trim_blank_bytes(field).is_empty())
        })
        .collect();
    if let Some(header) = records.first_mut() {
        for name in header.iter_mut() {
            *name = trim_blank_bytes(name).to_vec();
            if *name == options.phone_column.as_bytes() {
                *name = b"phone_number".to_vec();
            }
        }
    }
    records
}

fn parse_bytes(upload: &[u8]) -> Vec<Vec<Vec<u8>>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(upload)
        .byte_records()
        .map(|record| record.unwrap().iter().map(<[u8]>::to_vec).collect())
        .collect()
}

proptest! {
    #[test]
    fn valid_upload_keeps_every_record(input in messy_bytes(), delimiter in select(vec![b',', b';'])) {
        let options = CsvOptions::new().delimiter(delimiter);
        let (report, upload) = run(&input, &options);
        if report.is_valid() {
            prop_assert_eq!(parse_bytes(&upload), expected_records(&input, &options));

            // The upload is itself a valid file that needs no change.
            let again = inspect(&upload, &CsvOptions::new());
            prop_assert!(again.is_valid(), "{:?}", messages(&again));
            prop_assert!(again.is_verbatim());
            prop_assert_eq!(again.contacts(), report.contacts());
        }
    }

    #[test]
    fn any_input_is_handled(input in messy_bytes(), options in options(), sizes in read_sizes()) {
        let (report, _) = run(&input, &options);
        prop_assert!(!report.is_valid() || report.contacts() > 0);
        prop_assert!(report.problems().len() <= options.max_problems);

        let chunked = Chunked { bytes: &input, sizes, next: 0 };
        prop_assert_eq!(inspect_reader(chunked, &options).unwrap(), report);
    }

    #[test]
    fn valid_table_survives_upload(table in table(), sizes in read_sizes()) {
        let input = table.to_file();
        let options = CsvOptions::new()
            .delimiter(table.delimiter)
            .encoding(table.encoding);
        let (report, upload) = run(&input, &options);

        prop_assert!(report.is_valid(), "{:?}", messages(&report));
        prop_assert_eq!(report.problem_count(), 0);
        prop_assert_eq!(report.contacts(), table.rows.len() as u64);
        prop_assert_eq!(report.blank_rows(), 0);
        prop_assert_eq!(report.columns(), &table.names[..]);

        let expected_verbatim =
            table.delimiter == b',' && table.encoding == Encoding::Utf8 && !table.padded;
        prop_assert_eq!(report.is_verbatim(), expected_verbatim);

        let parsed = parse(&upload);
        prop_assert_eq!(&parsed[0], &table.names);
        prop_assert_eq!(&parsed[1..], &table.rows[..]);

        let chunked = Chunked { bytes: &input, sizes, next: 0 };
        prop_assert_eq!(inspect_reader(chunked, &options).unwrap(), report);
    }
}
