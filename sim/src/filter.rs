//! The `$filter` dialect of `GET numberAssignments`.
//!
//! Graph documents that "all fields from the number assignments can be filtered except `id`
//! and `city`"; the sim implements the part of OData a client of this API realistically sends:
//!
//! ```text
//! filter  := clause ( "and" clause )*
//! clause  := property "eq" ( 'string' | null )
//!          | "startswith" "(" "telephoneNumber" "," 'string' ")"
//!          | "(" filter ")"
//! ```
//!
//! `property` is any string-valued property except `id` and `city`. Property names and enum
//! literals are case-sensitive, as in OData (graph-api.md §7): `NumberType` is "Could not find
//! a property named …" and `'DirectRouting'` "The string … is not a valid enumeration type
//! constant", both 400 in the OData library's words; a value that is not an enum member is
//! refused the same way (a typo should be a 400, not an empty list). Operators and function
//! names (`eq`, `and`, `startswith`) are taken in any case. Values compare exactly, so a
//! telephone number whose `+` was turned into a space by query decoding matches nothing, as on
//! the real service. Everything
//! else (`or`, `ne`, `not`, lambdas like `capabilities/any(...)`) is refused with a message
//! that says what is supported, so a client never mistakes "unsupported" for "no results".

use super::directory::{
    enum_member, NumberAssignment, ACTIVATION_STATES, ASSIGNMENT_CATEGORIES, ASSIGNMENT_STATUSES,
    NUMBER_SOURCES, NUMBER_TYPES, PORT_IN_STATUSES,
};

/// Properties the filter accepts, in Graph's spelling.
const FILTERABLE: &[&str] = &[
    "telephoneNumber",
    "operatorId",
    "numberType",
    "activationState",
    "assignmentStatus",
    "assignmentTargetId",
    "assignmentCategory",
    "isoCountryCode",
    "locationId",
    "civicAddressId",
    "networkSiteId",
    "numberSource",
    "portInStatus",
];

fn enum_members(property: &str) -> Option<&'static [&'static str]> {
    Some(match property {
        "numberType" => NUMBER_TYPES,
        "activationState" => ACTIVATION_STATES,
        "assignmentStatus" => ASSIGNMENT_STATUSES,
        "assignmentCategory" => ASSIGNMENT_CATEGORIES,
        "numberSource" => NUMBER_SOURCES,
        "portInStatus" => PORT_IN_STATUSES,
        _ => return None,
    })
}

/// One condition of a parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// `property eq 'value'`; `None` is `eq null`.
    Equals {
        property: &'static str,
        value: Option<String>,
    },
    /// `startswith(telephoneNumber,'prefix')`.
    StartsWith { prefix: String },
}

/// A parsed `$filter`: all conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub conditions: Vec<Condition>,
}

impl Filter {
    pub fn matches(&self, number: &NumberAssignment) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::Equals { property, value } => {
                let actual = number.property(property).ok().flatten();
                match (actual, value) {
                    (None, None) => true,
                    (Some(actual), Some(wanted)) => actual == wanted,
                    _ => false,
                }
            }
            Condition::StartsWith { prefix } => number.telephone_number.starts_with(prefix),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("'{w}'"),
        Token::Text(t) => format!("the string '{t}'"),
        Token::Open => "'('".to_string(),
        Token::Close => "')'".to_string(),
        Token::Comma => "','".to_string(),
    }
}

pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => text.push(other),
                        None => return Err("a string literal is not closed with '".to_string()),
                    }
                }
                tokens.push(Token::Text(text));
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | ':' | '$') => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | ':' | '$') {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(word));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

/// The entity type `$filter` runs over, as OData's messages name it.
const ENTITY_TYPE: &str = "microsoft.graph.teamsAdministration.numberAssignment";

fn no_such_property(word: &str) -> String {
    format!("Could not find a property named '{word}' on type '{ENTITY_TYPE}'.")
}

const SUPPORTED: &str = "Supported: `property eq 'value'` (any property except id and city), \
     `startswith(telephoneNumber,'prefix')`, joined with `and`.";

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect_token(&mut self, wanted: Token) -> Result<(), String> {
        match self.next() {
            Some(ref t) if *t == wanted => Ok(()),
            Some(t) => Err(format!(
                "expected {} but found {}",
                describe(&wanted),
                describe(&t)
            )),
            None => Err(format!(
                "expected {} but the filter ended",
                describe(&wanted)
            )),
        }
    }

    fn filter(&mut self, into: &mut Vec<Condition>) -> Result<(), String> {
        self.clause(into)?;
        while let Some(Token::Word(w)) = self.peek() {
            if w.eq_ignore_ascii_case("and") {
                self.at += 1;
                self.clause(into)?;
            } else if w.eq_ignore_ascii_case("or") {
                return Err(format!("'or' is not supported. {SUPPORTED}"));
            } else {
                return Err(format!("unexpected '{w}'. {SUPPORTED}"));
            }
        }
        Ok(())
    }

    fn clause(&mut self, into: &mut Vec<Condition>) -> Result<(), String> {
        match self.next() {
            Some(Token::Open) => {
                self.filter(into)?;
                self.expect_token(Token::Close)
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("startswith") => {
                self.expect_token(Token::Open)?;
                match self.next() {
                    Some(Token::Word(p)) if p == "telephoneNumber" => {}
                    Some(Token::Word(p)) if !FILTERABLE.contains(&p.as_str()) && p != "city" => {
                        return Err(no_such_property(&p))
                    }
                    Some(Token::Word(p)) => {
                        return Err(format!(
                            "startswith is supported on telephoneNumber only, not on '{p}'."
                        ))
                    }
                    Some(t) => {
                        return Err(format!(
                            "expected a property name but found {}",
                            describe(&t)
                        ))
                    }
                    None => return Err("the filter ended inside startswith(".to_string()),
                }
                self.expect_token(Token::Comma)?;
                let prefix = match self.next() {
                    Some(Token::Text(t)) => t,
                    Some(t) => {
                        return Err(format!(
                            "expected a quoted string but found {}",
                            describe(&t)
                        ))
                    }
                    None => return Err("the filter ended inside startswith(".to_string()),
                };
                self.expect_token(Token::Close)?;
                into.push(Condition::StartsWith { prefix });
                Ok(())
            }
            Some(Token::Word(word)) => {
                if matches!(self.peek(), Some(Token::Open)) {
                    return Err(format!(
                        "the function '{word}' is not supported. {SUPPORTED}"
                    ));
                }
                let property =
                    FILTERABLE
                        .iter()
                        .copied()
                        .find(|p| *p == word)
                        .ok_or_else(|| {
                            if word == "id" || word == "city" {
                                format!("filtering on '{word}' is not supported by this API.")
                            } else if word.contains('/') {
                                format!(
                                "'{word}' (a lambda or navigation) is not supported. {SUPPORTED}"
                            )
                            } else if word.eq_ignore_ascii_case("not") {
                                format!("'not' is not supported. {SUPPORTED}")
                            } else {
                                no_such_property(&word)
                            }
                        })?;
                match self.next() {
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("eq") => {}
                    Some(Token::Word(op)) => {
                        return Err(format!("the operator '{op}' is not supported. {SUPPORTED}"))
                    }
                    Some(t) => return Err(format!("expected 'eq' but found {}", describe(&t))),
                    None => return Err(format!("expected 'eq' after '{property}'")),
                }
                let value = match self.next() {
                    Some(Token::Text(t)) => Some(t),
                    Some(Token::Word(w)) if w == "null" => None,
                    Some(t) => {
                        return Err(format!(
                            "expected a quoted string or null but found {}",
                            describe(&t)
                        ))
                    }
                    None => return Err(format!("expected a value after '{property} eq'")),
                };
                if let (Some(members), Some(value)) = (enum_members(property), &value) {
                    if enum_member(members, value).is_none() {
                        return Err(format!(
                            "The string '{value}' is not a valid enumeration type constant."
                        ));
                    }
                }
                into.push(Condition::Equals { property, value });
                Ok(())
            }
            Some(t) => Err(format!("expected a condition but found {}", describe(&t))),
            None => Err("expected a condition but the filter ended".to_string()),
        }
    }
}

/// Parses a `$filter` value (already query-decoded). The error is the message for the 400.
pub(crate) fn parse(input: &str) -> Result<Filter, String> {
    let wrap = |e: String| format!("Invalid filter clause: {e}");
    if input.trim().is_empty() {
        return Err(wrap("the filter is empty.".to_string()));
    }
    let tokens = tokenize(input).map_err(wrap)?;
    let mut parser = Parser { tokens, at: 0 };
    let mut conditions = Vec::new();
    parser.filter(&mut conditions).map_err(wrap)?;
    if let Some(extra) = parser.peek() {
        return Err(wrap(format!(
            "unexpected {} after the end of the filter.",
            describe(extra)
        )));
    }
    Ok(Filter { conditions })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::sample_tenant;

    fn eq(property: &'static str, value: &str) -> Condition {
        Condition::Equals {
            property,
            value: Some(value.to_string()),
        }
    }

    #[test]
    fn parses_equality_and_startswith_joined_with_and() {
        let filter =
            parse("telephoneNumber eq '+12065550100' and startswith(telephoneNumber,'+1206')")
                .unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                eq("telephoneNumber", "+12065550100"),
                Condition::StartsWith {
                    prefix: "+1206".into()
                }
            ]
        );
    }

    #[test]
    fn keywords_ignore_case_and_parentheses_group() {
        let filter =
            parse("(numberType EQ 'directRouting') AND assignmentStatus eq 'unassigned'").unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                eq("numberType", "directRouting"),
                eq("assignmentStatus", "unassigned")
            ]
        );
        assert!(parse("STARTSWITH(telephoneNumber,'+1')").is_ok());
    }

    #[test]
    fn property_names_and_enum_literals_are_case_sensitive() {
        for (input, expected) in [
            (
                "NumberType eq 'callingPlan'",
                "Invalid filter clause: Could not find a property named 'NumberType' on type \
                 'microsoft.graph.teamsAdministration.numberAssignment'.",
            ),
            (
                "startswith(TELEPHONENUMBER,'+1')",
                "Invalid filter clause: Could not find a property named 'TELEPHONENUMBER' on \
                 type 'microsoft.graph.teamsAdministration.numberAssignment'.",
            ),
            (
                "numberType eq 'DirectRouting'",
                "Invalid filter clause: The string 'DirectRouting' is not a valid enumeration \
                 type constant.",
            ),
            (
                "activationState eq 'Activated' and numberType eq 'callingPlan'",
                "Invalid filter clause: The string 'Activated' is not a valid enumeration type \
                 constant.",
            ),
        ] {
            assert_eq!(parse(input).expect_err(input), expected, "{input}");
        }
    }

    #[test]
    fn doubled_quotes_escape_a_quote_and_null_is_a_value() {
        let filter = parse("locationId eq 'it''s' and assignmentTargetId eq null").unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                eq("locationId", "it's"),
                Condition::Equals {
                    property: "assignmentTargetId",
                    value: None
                }
            ]
        );
    }

    #[test]
    fn refuses_what_it_does_not_support_with_a_clear_message() {
        for (input, expected) in [
            (
                "telephoneNumber eq '1' or numberType eq 'callingPlan'",
                "'or' is not supported",
            ),
            ("telephoneNumber ne '1'", "operator 'ne' is not supported"),
            ("city eq 'Seattle'", "'city' is not supported"),
            ("id eq 'x'", "'id' is not supported"),
            ("capabilities/any(c:c eq 'userAssignment')", "not supported"),
            (
                "contains(telephoneNumber,'555')",
                "function 'contains' is not supported",
            ),
            ("startswith(city,'Sea')", "telephoneNumber only"),
            (
                "numberType eq 'landline'",
                "The string 'landline' is not a valid enumeration type constant.",
            ),
            (
                "colour eq 'blue'",
                "Could not find a property named 'colour' on type",
            ),
            ("telephoneNumber eq '+1", "not closed"),
            ("telephoneNumber eq", "expected a value"),
            ("telephoneNumber eq '1')", "unexpected ')'"),
            ("  ", "empty"),
            ("telephoneNumber eq 5", "expected a quoted string"),
        ] {
            let error = parse(input).expect_err(input);
            assert!(error.starts_with("Invalid filter clause: "), "{error}");
            assert!(error.contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn matching_follows_the_rules() {
        let tenant = sample_tenant("00000000-0000-4000-8000-000000000000", 42);
        let count = |f: &str| {
            let filter = parse(f).unwrap();
            tenant.numbers.iter().filter(|n| filter.matches(n)).count()
        };
        assert_eq!(count("telephoneNumber eq '+12065550100'"), 1);
        // The `+` decoded as a space: what the service sees when the client forgot `%2B`.
        assert_eq!(count("telephoneNumber eq ' 12065550100'"), 0);
        assert_eq!(count("startswith(telephoneNumber,'+1206555')"), 90);
        assert!(count("numberType eq 'callingPlan'") > 0);
        let cp_unassigned =
            count("numberType eq 'callingPlan' and assignmentStatus eq 'unassigned'");
        assert!(cp_unassigned > 0 && cp_unassigned < count("numberType eq 'callingPlan'"));
        // One unassigned row is served with a null status (see `seed::serve_some_nulls`).
        assert_eq!(
            count("assignmentTargetId eq null"),
            count("assignmentStatus eq 'unassigned'")
                + count("assignmentStatus eq null and assignmentTargetId eq null")
        );
        assert_eq!(
            count("assignmentStatus eq null and assignmentTargetId eq null"),
            1
        );
    }
}
