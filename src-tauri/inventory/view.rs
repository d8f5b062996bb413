//! Filters, search and sort over the inventory, in memory.
//!
//! The rows are prepared once ([`InventoryView::new`]: a lower-cased text and the digits of
//! each row), then every query is one pass to filter and count plus one sort of the matching
//! positions; only the page asked for is copied out. Chip counts are "faceted": a chip's count
//! is how many rows it would show with the *other* filters and the search applied, so the
//! counts answer "what happens if I click this".

use super::{AssignmentKind, InventoryRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The columns the view sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortColumn {
    #[default]
    Number,
    Assignee,
    Assignment,
    NumberType,
    Country,
    City,
    ActivationState,
}

/// What the admin asked to see. Empty filter lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InventoryQuery {
    pub assignment: Vec<AssignmentKind>,
    pub number_types: Vec<String>,
    /// ISO codes; `"unknown"` for rows without one.
    pub countries: Vec<String>,
    /// `activated`, `assignmentFailed`, `updatePending`, `updateFailed`, …; `"unknown"` for none.
    pub activation_states: Vec<String>,
    /// Digits (`206 555`, `+1 (206)`), or part of a name or UPN, or an object id.
    pub search: String,
    pub sort: SortColumn,
    pub descending: bool,
    pub offset: usize,
    /// Rows of the page; 0 means 100.
    pub limit: usize,
}

/// Counts per chip value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChipCounts {
    pub assignment: BTreeMap<String, usize>,
    pub number_type: BTreeMap<String, usize>,
    pub country: BTreeMap<String, usize>,
    pub activation_state: BTreeMap<String, usize>,
}

/// One page of the view.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult {
    /// Numbers in the inventory.
    pub total: usize,
    /// Numbers that match the query.
    pub matching: usize,
    pub offset: usize,
    pub rows: Vec<InventoryRow>,
    pub counts: ChipCounts,
}

/// The inventory prepared for queries.
pub struct InventoryView {
    rows: Vec<InventoryRow>,
    text: Vec<String>,
    digits: Vec<String>,
}

const UNKNOWN: &str = "unknown";

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The search as digits, when it is a number (digits and phone punctuation only).
fn digit_search(search: &str) -> Option<String> {
    let is_number = search
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = digits_of(search);
    (is_number && !digits.is_empty()).then_some(digits)
}

fn key<'a>(row: &'a InventoryRow, column: SortColumn) -> (&'a str, &'a str) {
    let text = |v: &'a Option<String>| v.as_deref().unwrap_or("");
    match column {
        SortColumn::Number => (row.telephone_number.as_str(), ""),
        SortColumn::Assignee => (
            row.assignee_name
                .as_deref()
                .or(row.assignee_upn.as_deref())
                .or(row.assignee_id.as_deref())
                .unwrap_or(""),
            row.telephone_number.as_str(),
        ),
        SortColumn::Assignment => (row.assignment.as_str(), row.telephone_number.as_str()),
        SortColumn::NumberType => (row.number_type.as_str(), row.telephone_number.as_str()),
        SortColumn::Country => (text(&row.country), text(&row.city)),
        SortColumn::City => (text(&row.city), row.telephone_number.as_str()),
        SortColumn::ActivationState => (text(&row.activation_state), row.telephone_number.as_str()),
    }
}

impl InventoryView {
    pub fn new(rows: Vec<InventoryRow>) -> InventoryView {
        let text = rows
            .iter()
            .map(|r| {
                let mut t = String::with_capacity(96);
                for part in [
                    Some(&r.telephone_number),
                    r.assignee_name.as_ref(),
                    r.assignee_upn.as_ref(),
                    r.assignee_id.as_ref(),
                    r.city.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    t.push_str(&part.to_lowercase());
                    t.push('\u{1f}');
                }
                t
            })
            .collect();
        let digits = rows
            .iter()
            .map(|r| digits_of(&r.telephone_number))
            .collect();
        InventoryView { rows, text, digits }
    }

    pub fn rows(&self) -> &[InventoryRow] {
        &self.rows
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Positions of the rows matching `query`, in its sort order, and the chip counts.
    fn matching(&self, query: &InventoryQuery) -> (Vec<usize>, ChipCounts) {
        let search = query.search.trim().to_lowercase();
        let digits = digit_search(&search);
        let mut counts = ChipCounts::default();
        let mut matching = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let found = search.is_empty()
                || match &digits {
                    Some(d) => self.digits[i].contains(d.as_str()),
                    None => self.text[i].contains(search.as_str()),
                };
            if !found {
                continue;
            }
            let country = row.country.as_deref().unwrap_or(UNKNOWN);
            let state = row.activation_state.as_deref().unwrap_or(UNKNOWN);
            let by_assignment =
                query.assignment.is_empty() || query.assignment.contains(&row.assignment);
            let by_type =
                query.number_types.is_empty() || query.number_types.contains(&row.number_type);
            let by_country =
                query.countries.is_empty() || query.countries.iter().any(|c| c == country);
            let by_state = query.activation_states.is_empty()
                || query.activation_states.iter().any(|s| s == state);
            let all = [by_assignment, by_type, by_country, by_state];
            let misses = all.iter().filter(|m| !**m).count();
            if misses > 1 {
                continue;
            }
            let bump = |map: &mut BTreeMap<String, usize>, value: &str| {
                if let Some(n) = map.get_mut(value) {
                    *n += 1;
                } else {
                    map.insert(value.to_string(), 1);
                }
            };
            // A row counts for a dimension's chips when every *other* dimension matches.
            if by_type && by_country && by_state {
                bump(&mut counts.assignment, row.assignment.as_str());
            }
            if by_assignment && by_country && by_state {
                bump(&mut counts.number_type, &row.number_type);
            }
            if by_assignment && by_type && by_state {
                bump(&mut counts.country, country);
            }
            if by_assignment && by_type && by_country {
                bump(&mut counts.activation_state, state);
            }
            if misses == 0 {
                matching.push(i);
            }
        }
        let column = query.sort;
        matching.sort_by(|&a, &b| {
            let order = key(&self.rows[a], column)
                .cmp(&key(&self.rows[b], column))
                .then(a.cmp(&b));
            if query.descending {
                order.reverse()
            } else {
                order
            }
        });
        (matching, counts)
    }

    /// One page of the rows matching `query`, with the counts for every chip.
    pub fn query(&self, query: &InventoryQuery) -> QueryResult {
        let (matching, counts) = self.matching(query);
        let limit = if query.limit == 0 { 100 } else { query.limit };
        let rows = matching
            .iter()
            .skip(query.offset)
            .take(limit)
            .map(|&i| self.rows[i].clone())
            .collect();
        QueryResult {
            total: self.rows.len(),
            matching: matching.len(),
            offset: query.offset,
            rows,
            counts,
        }
    }

    /// Every row that matches `query`, in its order ("select all that match", the export).
    pub fn all_matching(&self, query: &InventoryQuery) -> Vec<&InventoryRow> {
        self.matching(query)
            .0
            .into_iter()
            .map(|i| &self.rows[i])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: &str, kind: AssignmentKind, name: Option<&str>, state: &str) -> InventoryRow {
        InventoryRow {
            id: number.into(),
            telephone_number: number.into(),
            number_type: if number.starts_with("+44") {
                "directRouting".into()
            } else {
                "callingPlan".into()
            },
            assignment: kind,
            assignment_status: None,
            assignee_id: name.map(|n| format!("id-{n}")),
            assignee_name: name.map(str::to_string),
            assignee_upn: name.map(|n| format!("{}@contoso.com", n.to_lowercase())),
            assignment_category: None,
            city: None,
            country: Some(
                if number.starts_with("+44") {
                    "GB"
                } else {
                    "US"
                }
                .into(),
            ),
            activation_state: Some(state.into()),
            location_id: None,
        }
    }

    fn view() -> InventoryView {
        InventoryView::new(vec![
            row(
                "+12065550100",
                AssignmentKind::User,
                Some("Adele"),
                "activated",
            ),
            row(
                "+12065550101",
                AssignmentKind::Unassigned,
                None,
                "assignmentFailed",
            ),
            row(
                "+442079460100",
                AssignmentKind::User,
                Some("Zoë"),
                "updatePending",
            ),
            row(
                "+442079460101",
                AssignmentKind::ResourceAccount,
                Some("Reception"),
                "activated",
            ),
        ])
    }

    #[test]
    fn search_by_digits_name_or_upn() {
        let v = view();
        let q = |s: &str| {
            v.query(&InventoryQuery {
                search: s.into(),
                ..Default::default()
            })
            .matching
        };
        assert_eq!(q("206 555-0100"), 1);
        assert_eq!(q("(206)"), 2);
        assert_eq!(q("zoë"), 1);
        assert_eq!(q("ZOË"), 1);
        assert_eq!(q("adele@contoso"), 1);
        assert_eq!(q(""), 4);
        assert_eq!(q("nobody"), 0);
    }

    #[test]
    fn chips_count_what_a_click_would_show() {
        let v = view();
        let result = v.query(&InventoryQuery {
            countries: vec!["GB".into()],
            ..Default::default()
        });
        assert_eq!(result.matching, 2);
        // Country chips ignore the country filter itself; the others apply it.
        assert_eq!(result.counts.country.get("US"), Some(&2));
        assert_eq!(result.counts.country.get("GB"), Some(&2));
        assert_eq!(result.counts.assignment.get("user"), Some(&1));
        assert_eq!(result.counts.activation_state.get("assignmentFailed"), None);
        let stuck = v.query(&InventoryQuery {
            activation_states: vec!["assignmentFailed".into(), "updatePending".into()],
            ..Default::default()
        });
        assert_eq!(stuck.matching, 2);
    }

    #[test]
    fn sorts_by_any_column_both_ways_and_pages() {
        let v = view();
        let by_name = v.query(&InventoryQuery {
            sort: SortColumn::Assignee,
            descending: true,
            ..Default::default()
        });
        assert_eq!(by_name.rows[0].assignee_name.as_deref(), Some("Zoë"));
        let page = v.query(&InventoryQuery {
            offset: 1,
            limit: 2,
            ..Default::default()
        });
        assert_eq!(page.rows.len(), 2);
        assert_eq!(page.rows[0].telephone_number, "+12065550101");
        assert_eq!(page.matching, 4);
    }
}
