//! The result of a pass over a contacts CSV: [`CsvReport`] and [`CsvError`].

use std::error::Error;
use std::fmt;

use super::problem::CsvProblem;

/// Result of a pre-flight pass over a contacts CSV.
///
/// [`inspect`](super::inspect) and its siblings return it. When
/// [`is_valid`](Self::is_valid) is true, [`write_upload`](super::write_upload)
/// produces exactly [`upload_len`](Self::upload_len) bytes for the same input
/// and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvReport {
    pub(super) contacts: u64,
    pub(super) columns: Vec<String>,
    pub(super) problems: Vec<CsvProblem>,
    pub(super) problem_count: u64,
    pub(super) skipped_rows: u64,
    pub(super) blank_rows: u64,
    pub(super) upload_len: u64,
    pub(super) verbatim: bool,
    pub(super) bom_len: u64,
    pub(super) valid: bool,
}

impl CsvReport {
    /// Returns the number of contacts: the data rows that pass every check.
    /// When the file is valid, they are the rows uploaded.
    pub fn contacts(&self) -> u64 {
        self.contacts
    }

    /// Returns the header as it is uploaded: names trimmed of spaces and
    /// tabs, and the phone column named `phone_number`.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Returns the first problems, in file order, up to
    /// [`CsvOptions::max_problems`](super::CsvOptions::max_problems).
    pub fn problems(&self) -> &[CsvProblem] {
        &self.problems
    }

    /// Returns the number of problems, including those not kept.
    pub fn problem_count(&self) -> u64 {
        self.problem_count
    }

    /// Returns the number of invalid rows left out of the upload because
    /// [`CsvOptions::skip_invalid_rows`](super::CsvOptions::skip_invalid_rows)
    /// is set.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped_rows
    }

    /// Returns the number of blank rows left out of the upload: empty lines,
    /// and rows whose fields are all empty or only spaces and tabs. They are
    /// not contacts and not problems.
    pub fn blank_rows(&self) -> u64 {
        self.blank_rows
    }

    /// Returns whether the file can be uploaded: it has contacts, and every
    /// problem, if any, is in a row that was left out.
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// Returns the exact number of bytes that
    /// [`write_upload`](super::write_upload) writes for the same input and
    /// options.
    ///
    /// For an invalid file, `write_upload` stops writing at the first
    /// problem that makes the file invalid and fails, and this is the number
    /// of bytes it writes before failing.
    pub fn upload_len(&self) -> u64 {
        self.upload_len
    }

    /// Returns whether the upload is the input unchanged except for a
    /// leading UTF-8 byte-order mark.
    ///
    /// Then the caller may stream the original file from offset
    /// [`bom_len`](Self::bom_len) instead of calling
    /// [`write_upload`](super::write_upload), and
    /// [`upload_len`](Self::upload_len) is the file's length minus `bom_len`.
    /// Always false when the file is invalid.
    pub fn is_verbatim(&self) -> bool {
        self.verbatim
    }

    /// Returns the length of the byte-order mark at the start of the input,
    /// which the upload leaves out: 3 for UTF-8, 2 for UTF-16, 0 without one.
    pub fn bom_len(&self) -> u64 {
        self.bom_len
    }

    /// Returns the report if the file is valid, or a [`CsvError`] with it.
    ///
    /// # Errors
    ///
    /// Returns [`CsvError`] when [`is_valid`](Self::is_valid) is false.
    pub fn into_result(self) -> Result<Self, CsvError> {
        if self.valid {
            Ok(self)
        } else {
            Err(CsvError { report: self })
        }
    }
}

/// Validation error of a contacts CSV, with every problem found rather than
/// only the first.
///
/// Its [`Display`](fmt::Display) output is a summary line followed by each
/// kept problem on its own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    report: CsvReport,
}

impl CsvError {
    /// Returns the report with the problems.
    pub fn report(&self) -> &CsvReport {
        &self.report
    }

    /// Returns the report, consuming the error.
    pub fn into_report(self) -> CsvReport {
        self.report
    }
}

/// A summary for people: the contacts and columns, then every problem kept,
/// one a line, as in
///
/// ```text
/// 200 contacts, columns phone_number, first_name; 2 rows skipped:
///   row 7, column "phone_number" (byte offset 301): the phone number is empty. ...
/// ```
impl fmt::Display for CsvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.contacts == 1 {
            "contact"
        } else {
            "contacts"
        };
        write!(
            f,
            "{} {noun}, columns {}",
            self.contacts,
            self.columns.join(", ")
        )?;
        if !self.valid {
            let count = self.problem_count;
            let problems = if count == 1 { "problem" } else { "problems" };
            write!(f, "; not valid, {count} {problems}")?;
        } else if self.skipped_rows > 0 {
            let rows = if self.skipped_rows == 1 {
                "row"
            } else {
                "rows"
            };
            write!(f, "; {} {rows} skipped", self.skipped_rows)?;
        }
        if !self.problems.is_empty() {
            f.write_str(":")?;
        }
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        let listed = u64::try_from(self.problems.len()).unwrap_or(u64::MAX);
        let more = self.problem_count.saturating_sub(listed);
        if more > 0 {
            write!(
                f,
                "\n  and {more} more (raise `CsvOptions::max_problems` to keep more)"
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = &self.report;
        let count = report.problem_count;
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "the contacts CSV cannot be uploaded: {count} {noun}")?;

        for problem in &report.problems {
            write!(f, "\n  {problem}")?;
        }

        let kept = u64::try_from(report.problems.len()).unwrap_or(u64::MAX);
        let more = count.saturating_sub(kept);
        if more > 0 {
            write!(
                f,
                "\n  and {more} more (raise `CsvOptions::max_problems` to keep more)"
            )?;
        }
        Ok(())
    }
}

impl Error for CsvError {}

/// The problems of one pass: the first `max` are kept, all are counted.
#[derive(Debug)]
pub(super) struct ProblemLog {
    kept: Vec<CsvProblem>,
    count: u64,
    max: usize,
    has_error: bool,
}

impl ProblemLog {
    /// Creates an empty log that keeps at most `max` problems.
    pub(super) fn new(max: usize) -> Self {
        Self {
            kept: Vec::new(),
            count: 0,
            max,
            has_error: false,
        }
    }

    /// Counts a problem, and keeps it if fewer than `max` are kept. `build`
    /// runs only when the problem is kept, so that a file with millions of
    /// bad rows costs no allocation per row once the log is full.
    pub(super) fn push(&mut self, skipped: bool, build: impl FnOnce() -> CsvProblem) {
        self.count += 1;
        if !skipped {
            self.has_error = true;
        }
        if self.kept.len() < self.max {
            self.kept.push(build().with_skipped(skipped));
        }
    }

    /// Returns the number of problems counted so far.
    pub(super) fn count(&self) -> u64 {
        self.count
    }

    /// Returns whether a problem that is not skipped was counted.
    pub(super) fn has_error(&self) -> bool {
        self.has_error
    }

    /// Returns the kept problems and the count.
    pub(super) fn into_parts(self) -> (Vec<CsvProblem>, u64) {
        (self.kept, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::super::problem::CsvProblemKind;
    use super::*;

    fn report_with(problems: Vec<CsvProblem>, count: u64) -> CsvReport {
        CsvReport {
            contacts: 0,
            columns: Vec::new(),
            problems,
            problem_count: count,
            skipped_rows: 0,
            blank_rows: 0,
            upload_len: 0,
            verbatim: false,
            bom_len: 0,
            valid: false,
        }
    }

    #[test]
    fn log_keeps_first_and_counts_all() {
        let mut log = ProblemLog::new(2);
        for row in 1..=5 {
            log.push(true, || {
                CsvProblem::new(CsvProblemKind::MissingPhoneNumber, row)
            });
        }
        assert!(!log.has_error());
        let (kept, count) = log.into_parts();
        assert_eq!(count, 5);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].row(), 1);
        assert_eq!(kept[1].row(), 2);
        assert!(kept[0].is_skipped());
    }

    #[test]
    fn log_with_zero_max_keeps_nothing() {
        let mut log = ProblemLog::new(0);
        log.push(false, || CsvProblem::new(CsvProblemKind::EmptyFile, 0));
        assert!(log.has_error());
        let (kept, count) = log.into_parts();
        assert!(kept.is_empty());
        assert_eq!(count, 1);
    }

    #[test]
    fn error_display_lists_problems_and_rest() {
        let problems = vec![
            CsvProblem::new(CsvProblemKind::MissingPhoneNumber, 2),
            CsvProblem::new(CsvProblemKind::MissingPhoneNumber, 3),
        ];
        let error = report_with(problems, 5).into_result().unwrap_err();
        let text = error.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "the contacts CSV cannot be uploaded: 5 problems");
        assert!(lines[1].starts_with("  row 2: "));
        assert!(lines[2].starts_with("  row 3: "));
        assert!(lines[3].starts_with("  and 3 more"));
    }

    #[test]
    fn report_display_summarises() {
        let valid = super::super::inspect(
            b"phone_number,name\n+12025550101,Ana\n+12025550102,Bo\n",
            &crate::csv::CsvOptions::new(),
        );
        assert_eq!(valid.to_string(), "2 contacts, columns phone_number, name");

        let skipped = super::super::inspect(
            b"phone_number,name\n+12025550101,Ana\n,Bo\n",
            &crate::csv::CsvOptions::new().skip_invalid_rows(true),
        );
        let text = skipped.to_string();
        assert!(
            text.starts_with("1 contact, columns phone_number, name; 1 row skipped:\n  row 3"),
            "{text}"
        );

        let invalid = super::super::inspect(
            b"phone_number,name\n,Ana\n,Bo\n",
            &crate::csv::CsvOptions::new().max_problems(1),
        );
        let text = invalid.to_string();
        assert!(text.contains("not valid, 2 problems:\n  row 2"), "{text}");
        assert!(
            text.ends_with("and 1 more (raise `CsvOptions::max_problems` to keep more)"),
            "{text}"
        );
    }

    #[test]
    fn valid_report_into_result_is_ok() {
        let mut report = report_with(Vec::new(), 0);
        report.valid = true;
        assert!(report.into_result().is_ok());
    }
}
