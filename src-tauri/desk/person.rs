//! Offboarding one person: find them by user name, email or name, list every number they
//! hold, and take all of them after one confirmation that names the person and the numbers.
//!
//! Each number goes through the same path as a single number ([`Desk::unassign_confirmed`]):
//! its holder is checked right before its one POST, and it is its own History record with
//! the person as the prior assignee (so each can be given back). One number failing (held by
//! someone else by now, a change already in flight, a refusal) never stops the others.

use super::{number_type_label, Desk, DeskError, RecordView};
use crate::graph::{CancelToken, NumberAssignment};
use crate::history::Assignee;
use crate::operation::Reading;
pub use crate::people::PersonOutcome;
use crate::people::{self, PersonView, Resolution};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// One of the person's numbers on the card.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonNumber {
    pub assignment: NumberAssignment,
    pub number_display: String,
    pub number_type_label: String,
    /// A change of this number already on its way (History id): it is left out.
    pub in_flight: Option<i64>,
}

/// The card of a person lookup.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonCard {
    pub query: String,
    pub outcome: PersonOutcome,
    pub person: Option<PersonView>,
    /// Whether the numbers are held as a resource account's (an auto attendant's or call
    /// queue's), not a person's.
    pub resource_account: bool,
    pub choices: Vec<PersonView>,
    pub numbers: Vec<PersonNumber>,
    /// Present when there is something to confirm.
    pub lookup_id: Option<String>,
    pub confirm_text: String,
    pub confirm_detail: String,
    /// What the card says when nothing can be done.
    pub reason: Option<String>,
}

/// What came of one number of a confirmed person.
#[derive(Debug)]
pub struct PersonChange {
    pub telephone_number: String,
    pub outcome: Result<RecordView, DeskError>,
}

pub(super) struct PendingPerson {
    created: Instant,
    history_mark: i64,
    numbers: Vec<(NumberAssignment, Assignee, Reading)>,
}

impl Desk {
    /// Looks a person up: who they are and every number they hold. Sends nothing that changes
    /// anything. `input` is a user name, an email or a display name (see
    /// [`people::person_query`]). `Ok(None)`: `input` is a telephone number, for
    /// [`Desk::lookup`].
    pub async fn lookup_person(&self, input: &str) -> Result<Option<PersonCard>, DeskError> {
        let Some(query) = people::person_query(input) else {
            return Ok(None);
        };
        if self.session.status().await.names_permitted == Some(false) {
            // Refused once in this sign-in: asking again only adds a failed sign-in.
            return Err(DeskError::PeopleNotPermitted);
        }
        let read = match self
            .graph
            .find_people(std::slice::from_ref(&query), &CancelToken::new())
            .await
        {
            Ok(read) => read.unwrap_or_default(),
            Err(error) if people::names_refused(&error) => {
                return Err(DeskError::PeopleNotPermitted)
            }
            Err(error) => return Err(self.graph_error(error)),
        };
        let matches = read.matches.get(&0).cloned().unwrap_or_default();
        let resolution = people::resolve(&query, &matches, read.unresolved.contains(&0));
        let mut card = PersonCard {
            query: input.trim().to_owned(),
            outcome: PersonOutcome::NoSuchUser,
            person: None,
            resource_account: false,
            choices: Vec::new(),
            numbers: Vec::new(),
            lookup_id: None,
            confirm_text: String::new(),
            confirm_detail: String::new(),
            reason: None,
        };
        let person = match resolution {
            Resolution::One(person) => person,
            Resolution::NoSuchUser => {
                let mut reason = people::no_such_user_text(&query);
                if matches!(query, crate::graph::PersonQuery::Name(_)) {
                    // The field takes numbers too: what was typed may have been meant as one.
                    reason.push_str(" To look up a phone number instead, type it with its country code, like +1 206 555 0100.");
                }
                card.reason = Some(reason);
                return Ok(Some(card));
            }
            Resolution::Several(choices) => {
                card.outcome = PersonOutcome::ChooseOne;
                card.reason = Some(format!(
                    "{} people match “{}”. Choose the one who is leaving.",
                    choices.len(),
                    card.query
                ));
                card.choices = choices;
                return Ok(Some(card));
            }
            Resolution::Unresolved => {
                card.outcome = PersonOutcome::Unresolved;
                card.reason = Some(people::UNRESOLVED_TEXT.to_owned());
                return Ok(Some(card));
            }
        };
        let history_mark = self.history.mark()?;
        let read_at = Instant::now();
        let numbers = self
            .graph
            .numbers_of(&person.id)
            .await
            .map_err(|e| self.graph_error(e))?;
        card.resource_account = people::is_resource_account(&numbers);
        let who = person.called();
        let mut pending = Vec::new();
        for number in numbers {
            let in_flight = self
                .history
                .in_flight_for(&number.telephone_number)?
                .map(|r| r.id);
            if in_flight.is_none() {
                let assignee = Assignee {
                    id: Some(person.id.clone()),
                    name: person.name.clone(),
                    upn: person.upn.clone(),
                    target_kind: number.assignment_status.clone(),
                    category: number.assignment_category.clone(),
                    location_id: number.location_id.clone(),
                };
                let reading = Reading {
                    assignment: Some(number.clone()),
                    read_at,
                };
                pending.push((number.clone(), assignee, reading));
            }
            card.numbers.push(PersonNumber {
                number_display: crate::phone::display_form(&number.telephone_number),
                number_type_label: number_type_label(&number.number_type),
                assignment: number,
                in_flight,
            });
        }
        card.person = Some(person);
        if card.numbers.is_empty() {
            card.outcome = PersonOutcome::NoNumbers;
            card.reason = card.person.as_ref().map(people::no_numbers_text);
            return Ok(Some(card));
        }
        card.outcome = PersonOutcome::Found;
        if pending.is_empty() {
            card.reason = Some(format!(
                "Every number of {who} has a change in progress already. Wait until it finishes, then look them up again."
            ));
            return Ok(Some(card));
        }
        let count = pending.len();
        let listed: Vec<String> = pending
            .iter()
            .map(|(n, _, _)| crate::phone::display_form(&n.telephone_number))
            .collect();
        card.confirm_text = if count == 1 {
            format!("Remove {} from {who}?", listed[0])
        } else {
            format!("Unassign all {count} numbers from {who}?")
        };
        card.confirm_detail = format!(
            "{}{}. The numbers stay in your tenant and can be assigned again.",
            listed.join(", "),
            card.person
                .as_ref()
                .and_then(|p| p.upn.as_deref())
                .map(|upn| format!(" will be taken from {upn}"))
                .unwrap_or_default()
        );
        let lookup_id = uuid::Uuid::new_v4().to_string();
        let mut people = crate::locks::lock(&self.people);
        let ttl = self.config.lookup_ttl;
        people.retain(|_, p| p.created.elapsed() < ttl);
        people.insert(
            lookup_id.clone(),
            PendingPerson {
                created: Instant::now(),
                history_mark,
                numbers: pending,
            },
        );
        card.lookup_id = Some(lookup_id);
        Ok(Some(card))
    }

    /// Unassigns every number of a confirmed person lookup, one after another, each with its
    /// own holder check and at most one POST. At most once per lookup.
    pub async fn unassign_person(
        self: &Arc<Self>,
        lookup_id: &str,
    ) -> Result<Vec<PersonChange>, DeskError> {
        let pending = crate::locks::lock(&self.people)
            .remove(lookup_id)
            .filter(|p| p.created.elapsed() < self.config.lookup_ttl)
            .ok_or(DeskError::ConfirmationUsed)?;
        let mut changes = Vec::with_capacity(pending.numbers.len());
        for (number, assignee, reading) in pending.numbers {
            let telephone_number = number.telephone_number.clone();
            let outcome = self
                .unassign_confirmed(number, assignee, reading, pending.history_mark)
                .await;
            changes.push(PersonChange {
                telephone_number,
                outcome,
            });
        }
        Ok(changes)
    }
}
