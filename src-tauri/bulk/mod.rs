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
//!
//! The rest: [`preview`] reads the tenant's numbers once (a few list calls, not one per row)
//! and says for every row whether it is sent or why not; [`run`] sends the planned rows with
//! a small worker pool behind one adaptive rate limiter ([`pace`]), follows them to the end,
//! and can be paused, cancelled, and resumed from the history after a crash.

pub mod desk;
pub mod error;
pub mod input;
pub mod pace;
pub mod preview;
pub mod run;

pub use desk::{
    BatchChoice, BatchView, BulkAction, BulkDesk, BulkOverview, ColumnView, InputSource, InputView,
    PreviewView, RunView,
};
pub use error::BulkError;
pub use input::{
    is_people_column, number_column, parse_csv, parse_pasted, rows_for_column, InputError,
    InputRow, Table, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS,
};
pub use pace::{AdaptiveLimiter, RateConfig, RateStats};
pub use preview::{
    confirmation, plan_confirmation, preview, preview_with_names, undo_preview, KnownNames,
    PersonRow, PlannedRow, Preview, PreviewCounts, PreviewRow, RunPlan, Selection, SkipReason,
    TargetKind,
};
pub use run::{
    BulkConfig, BulkEngine, BulkEvent, BulkProgress, BulkRun, ResumeReport, RowPhase, RowUpdate,
    RunCounts, RunProgress, RunReport, RunState,
};
