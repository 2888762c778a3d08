//! The fields of one record, kept as ranges of the record's raw bytes where
//! possible, so that reading a record copies none of its values.

use csv::ByteRecord;

/// Location of one field's value, in the raw record or in the buffer of
/// unescaped values.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    start: usize,
    end: usize,
    unescaped: bool,
}

/// The fields of the current record, reused from record to record.
#[derive(Debug, Default)]
pub(super) struct Fields {
    bounds: Vec<Bounds>,
    /// Values that differ from their raw bytes: quoted values with doubled
    /// quotes, and every value of a record that the `csv` reader parsed.
    unescaped: Vec<u8>,
}

impl Fields {
    pub(super) fn clear(&mut self) {
        self.bounds.clear();
        self.unescaped.clear();
    }

    /// Adds a field whose value is the raw bytes from `start` to `end`.
    #[inline]
    pub(super) fn push_raw(&mut self, start: usize, end: usize) {
        self.bounds.push(Bounds {
            start,
            end,
            unescaped: false,
        });
    }

    /// Adds a field with an empty value, which [`extend_last`] appends to.
    ///
    /// [`extend_last`]: Self::extend_last
    pub(super) fn push_unescaped(&mut self) {
        let start = self.unescaped.len();
        self.bounds.push(Bounds {
            start,
            end: start,
            unescaped: true,
        });
    }

    /// Appends `part` to the value of the last field, which
    /// [`push_unescaped`](Self::push_unescaped) added.
    pub(super) fn extend_last(&mut self, part: &[u8]) {
        self.unescaped.extend_from_slice(part);
        if let Some(last) = self.bounds.last_mut() {
            last.end = self.unescaped.len();
        }
    }

    /// Replaces the fields with those of a record that the `csv` reader
    /// parsed.
    pub(super) fn copy_from(&mut self, record: &ByteRecord) {
        self.clear();
        self.unescaped.extend_from_slice(record.as_slice());
        let ranges = (0..record.len()).filter_map(|index| record.range(index));
        for range in ranges {
            self.bounds.push(Bounds {
                start: range.start,
                end: range.end,
                unescaped: true,
            });
        }
    }

    /// Returns the record whose raw bytes, which the raw ranges refer to, are
    /// `raw`.
    pub(super) fn view<'a>(&'a self, raw: &'a [u8]) -> Record<'a> {
        Record {
            raw,
            unescaped: &self.unescaped,
            bounds: &self.bounds,
        }
    }
}

/// The parsed fields of one record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Record<'a> {
    raw: &'a [u8],
    unescaped: &'a [u8],
    bounds: &'a [Bounds],
}

impl<'a> Record<'a> {
    /// Returns the number of fields.
    pub(super) fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Returns the value of field `index`.
    #[inline]
    pub(super) fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.bounds.get(index).map(|bounds| self.value(*bounds))
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let record = *self;
        record
            .bounds
            .iter()
            .map(move |bounds| record.value(*bounds))
    }

    /// Returns the fields as a `csv` record.
    pub(super) fn to_byte_record(self) -> ByteRecord {
        self.iter().collect()
    }

    #[inline]
    fn value(&self, bounds: Bounds) -> &'a [u8] {
        let bytes = if bounds.unescaped {
            self.unescaped
        } else {
            self.raw
        };
        bytes.get(bounds.start..bounds.end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_reads_raw_and_unescaped_fields() {
        let raw = b"a,\"b\"\"c\",d\n";
        let mut fields = Fields::default();
        fields.push_raw(0, 1);
        fields.push_unescaped();
        fields.extend_last(&raw[3..5]);
        fields.extend_last(&raw[6..7]);
        fields.push_raw(9, 10);
        let record = fields.view(raw);
        assert_eq!(record.len(), 3);
        assert_eq!(record.get(0), Some(&b"a"[..]));
        assert_eq!(record.get(1), Some(&b"b\"c"[..]));
        assert_eq!(record.get(2), Some(&b"d"[..]));
        assert_eq!(record.get(3), None);
        assert_eq!(
            record.to_byte_record(),
            ByteRecord::from(vec!["a", "b\"c", "d"])
        );
    }

    #[test]
    fn copy_from_keeps_empty_fields() {
        let parsed = ByteRecord::from(vec!["", "x", ""]);
        let mut fields = Fields::default();
        fields.push_raw(0, 1);
        fields.copy_from(&parsed);
        let record = fields.view(b"ignored");
        assert_eq!(record.iter().collect::<Vec<_>>(), [&b""[..], b"x", b""]);
    }
}
