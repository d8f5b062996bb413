//! Entry points for the fuzz targets in `fuzz/` (`cargo fuzz`, nightly) and for the regression
//! tests that replay what the fuzzers found (`tests/fuzz_regressions.rs`).
//!
//! Each takes arbitrary bytes, runs one of the parsers that read outside input, and checks the
//! properties the rest of the app relies on; a broken property panics, which the fuzzer reports
//! as a crash. Not part of the app's interface.

use crate::bulk::{self, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS};
use crate::phone::parse_number;

/// The number parser: never panics; a number it accepts is E.164 and reads back the same.
pub fn phone_number(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(number) = parse_number(&text) {
        let graph = number.graph_form();
        assert!(number.e164.starts_with('+'), "{number:?}");
        assert!(
            number.e164[1..].bytes().all(|b| b.is_ascii_digit()),
            "{number:?}"
        );
        let again = parse_number(&graph).unwrap_or_else(|e| panic!("{graph:?}: {e}"));
        assert_eq!(again.graph_form(), graph, "from {text:?}");
    }
}

/// The list and CSV readers: never panic, and keep their limits.
pub fn bulk_input(data: &[u8]) {
    let check = |table: &bulk::Table| {
        assert!(table.rows.len() <= MAX_ROWS);
        assert_eq!(table.rows.len(), table.lines.len());
        let width = table.width();
        assert!(width <= MAX_COLUMNS);
        for cell in table.rows.iter().flatten() {
            assert!(cell.chars().count() <= MAX_CELL_CHARS + 1, "{}", cell.len());
        }
        if let Some(column) = bulk::number_column(table) {
            assert!(column < width.max(1));
        }
        for column in 0..width.min(3) {
            let rows = bulk::rows_for_column(table, column);
            assert_eq!(rows.len(), table.rows.len());
            for (index, row) in rows.iter().enumerate() {
                if let Some(first) = row.duplicate_of {
                    assert!(first < index);
                }
            }
        }
    };
    if let Ok(table) = bulk::parse_csv(data) {
        check(&table);
    }
    if let Ok(table) = bulk::parse_pasted(&String::from_utf8_lossy(data)) {
        check(&table);
    }
}

/// Graph's answers: the first two bytes choose an HTTP status, the rest is the body.
pub fn graph_responses(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (200 + u16::from_be_bytes([*a, *b]) % 400, rest),
        _ => (500, data),
    };
    let error = crate::graph::parse_any_answer(status, body);
    let problem = crate::problem::graph::in_cloud(&error, true);
    assert!(!problem.message.is_empty() && !problem.hint.is_empty());
}

/// The sign-in listener: parses any request head; a callback only ends the sign-in when its
/// `state` is this sign-in's.
pub fn loopback_callback(data: &[u8]) {
    crate::auth::loopback::check_any_request(data, "expected-state-1234");
}
