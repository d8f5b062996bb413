//! One number, or one person's numbers: look up, unassign, undo, check again.

use super::App;
use crate::desk::{LookupCard, PersonCard, RecordView};
use crate::problem::records::worded_view;
use crate::problem::Problem;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

/// What the lookup field holds: a person (their card), or a number (`kind: "number"`: look
/// it up with `lookup_number`).
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PersonLookup {
    Number,
    Person { card: Box<PersonCard> },
}

/// What came of one number of a confirmed person: its record, or why it was not sent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonChangeView {
    pub telephone_number: String,
    pub number_display: String,
    pub record: Option<RecordView>,
    pub problem: Option<Problem>,
}

/// Looks a person up by user name, email or display name: who they are and every number
/// they hold. A phone number is answered `kind: "number"`.
#[tauri::command]
pub async fn lookup_person<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    input: String,
) -> Result<PersonLookup, Problem> {
    Ok(match state.desk(&app).await?.lookup_person(&input).await? {
        Some(card) => PersonLookup::Person {
            card: Box::new(card),
        },
        None => PersonLookup::Number,
    })
}

/// Unassigns every number of a confirmed person lookup (each checked and sent once).
#[tauri::command]
pub async fn unassign_person<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    lookup_id: String,
) -> Result<Vec<PersonChangeView>, Problem> {
    let changes = state.desk(&app).await?.unassign_person(&lookup_id).await?;
    Ok(changes
        .into_iter()
        .map(|change| {
            let number_display = crate::phone::display_form(&change.telephone_number);
            let (record, problem) = match change.outcome {
                Ok(record) => (Some(worded_view(record)), None),
                Err(error) => (None, Some(Problem::from(error))),
            };
            PersonChangeView {
                telephone_number: change.telephone_number,
                number_display,
                record,
                problem,
            }
        })
        .collect())
}

/// Looks a number up: who has it, what kind, whether it can be removed.
#[tauri::command]
pub async fn lookup_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    input: String,
) -> Result<LookupCard, Problem> {
    Ok(state.desk(&app).await?.lookup(&input).await?)
}

/// Unassigns the number of a confirmed lookup (at most one request per confirmation).
#[tauri::command]
pub async fn unassign_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    lookup_id: String,
) -> Result<RecordView, Problem> {
    Ok(worded_view(
        state.desk(&app).await?.unassign(&lookup_id).await?,
    ))
}

/// Undo: gives the number of a succeeded unassignment back to its prior assignee.
#[tauri::command]
pub async fn reassign_number<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    record_id: i64,
) -> Result<RecordView, Problem> {
    Ok(worded_view(
        state.desk(&app).await?.reassign(record_id).await?,
    ))
}

/// "Check again" for a stale or unknown outcome.
#[tauri::command]
pub async fn check_operation_again<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, App>,
    record_id: i64,
) -> Result<RecordView, Problem> {
    Ok(worded_view(
        state.desk(&app).await?.check_again(record_id).await?,
    ))
}
