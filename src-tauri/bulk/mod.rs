//! Bulk unassign: many numbers at once, from a pasted list or a CSV file.
//!
//! An admin who leaves a site or closes a range has a list, not a number: a column copied from
//! Excel, a Teams PowerShell export (`LineURI`), a ticket. Bulk unassign reads that list, shows a
//! preview where every row says whether it will be sent or why it is skipped, and only then
//! unassigns, one number after another, through the same history and Graph client as a single
//! unassign.
//!
//! Why the input side stands on its own ([`input`]): reading what admins bring is where the
//! surprises live (a byte-order mark, `;` from a European Excel, quoted cells with line breaks,
//! an export in the wrong encoding, a file far too big), and none of it needs Graph, the history
//! or a window. Keeping it free of all three lets every such file be tested here, and lets the
//! preview say "line 12: not a phone number" before a single request is sent.

pub mod input;

pub use input::{
    number_column, parse_csv, parse_pasted, rows_for_column, InputError, InputRow, Table,
    MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS,
};
