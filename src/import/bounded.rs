//! Reading files from outside with a bound on each line or record, so a file without line
//! breaks (`/dev/zero`, a binary dump) is refused at once instead of read into memory whole.

use std::cell::Cell;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// The most a row of a mapping import may hold, in bytes.
pub const MAX_RECORD: u64 = 8 << 20;
/// The most one line of an opsdesk export may hold (a ticket with its whole timeline).
pub const MAX_EXPORT_LINE: u64 = 64 << 20;

/// The next line of `reader` (with its `\n`) into `buf`, at most `max` bytes. Returns
/// Ok(false) at the end of the input, and an error naming `line` when a line is longer.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: u64, line: u64) -> std::io::Result<bool> {
    buf.clear();
    let n = reader.by_ref().take(max + 1).read_until(b'\n', buf)?;
    if n as u64 > max {
        return Err(too_long(line, max));
    }
    Ok(n > 0)
}

fn too_long(line: u64, max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "line {line} is longer than {} MiB: this is not a file of records (a line break is missing, or it is binary)",
            max >> 20
        ),
    )
}

/// A reader that fails once more than `max` bytes were read since the last [`Budget::reset`]:
/// for parsers that gather a whole record before handing it over (csv).
pub struct Bounded<R> {
    inner: R,
    budget: Budget,
}

/// What a [`Bounded`] reader has read since the last record.
#[derive(Clone)]
pub struct Budget {
    since: Rc<Cell<u64>>,
    max: u64,
}

impl Budget {
    /// A record was handed over: the next one starts from nothing.
    pub fn reset(&self) {
        self.since.set(0);
    }
}

impl<R: Read> Bounded<R> {
    pub fn new(inner: R, max: u64) -> (Bounded<R>, Budget) {
        let budget = Budget {
            since: Rc::new(Cell::new(0)),
            max,
        };
        (
            Bounded {
                inner,
                budget: budget.clone(),
            },
            budget,
        )
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let used = self.budget.since.get();
        if used > self.budget.max {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a record is longer than {} MiB: this is not a file of records (a quote or line break is missing, or it is binary)",
                    self.budget.max >> 20
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        self.budget.since.set(used + n as u64);
        Ok(n)
    }
}

/// Notes where every line break of what passes through it is, so that a record's line can
/// be told from its byte offset whatever the line endings (the csv crate counts a CRLF
/// file's lines one short).
pub struct LineBreaks<R> {
    inner: R,
    at: u64,
    breaks: std::rc::Rc<std::cell::RefCell<Vec<u64>>>,
}

/// The line breaks seen so far, for [`line_at`].
pub type Breaks = std::rc::Rc<std::cell::RefCell<Vec<u64>>>;

impl<R: Read> LineBreaks<R> {
    pub fn new(inner: R) -> (LineBreaks<R>, Breaks) {
        let breaks = Breaks::default();
        (
            LineBreaks {
                inner,
                at: 0,
                breaks: breaks.clone(),
            },
            breaks,
        )
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                breaks.push(self.at + i as u64);
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// The 1-based line of the record that the csv reader says starts at `byte` (it may point
/// at the `\n` of the CRLF before it): one more than the line breaks up to it.
pub fn line_at(breaks: &Breaks, byte: u64) -> u64 {
    breaks.borrow().partition_point(|&p| p <= byte) as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_longer_than_the_bound_is_an_error_and_shorter_ones_read() {
        let mut r = std::io::BufReader::new(&b"ab\ncdef\n"[..]);
        let mut buf = Vec::new();
        assert!(read_line(&mut r, &mut buf, 3, 1).expect("first"));
        assert_eq!(buf, b"ab\n");
        let e = read_line(&mut r, &mut buf, 3, 2).expect_err("too long");
        assert!(e.to_string().contains("line 2 is longer"), "{e}");
    }

    #[test]
    fn zeros_without_end_stop_at_the_bound() {
        let (mut r, budget) = Bounded::new(std::io::repeat(0), 1 << 20);
        let (mut buf, mut read) = ([0u8; 8192], 0usize);
        let e = loop {
            match r.read(&mut buf) {
                Ok(n) => read += n,
                Err(e) => break e,
            }
        };
        assert!(e.to_string().contains("longer than 1 MiB"), "{e}");
        assert!(read <= (1 << 20) + 8192, "{read}");
        budget.reset();
        assert_eq!(r.read(&mut buf).expect("a new record may start"), 8192);
    }
}
