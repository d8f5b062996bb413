//! A telephone number as an admin types or pastes it: parse it, normalise it to E.164, keep
//! the `;ext=`.
//!
//! Microsoft Graph shows and expects numbers in E.164 with a leading `+`, and Direct Routing
//! numbers may carry an extension (`+12065551000;ext=524`). Admins paste whatever their
//! spreadsheet, ticket or e-mail signature holds, so this module accepts the usual spellings and
//! turns them into the one form Graph understands, before any request is sent.
//!
//! Why the checks are split in two:
//! - *This module* decides what the admin meant. It reads the characters itself and hands the
//!   `phonenumber` crate only `+` and digits, so odd input meets a message that says what to
//!   do, never a parser quirk. Digits without `+` are taken as international only when that
//!   reading is safe: `(206) 555-0100` or `020 7946 0958` would silently become a number in
//!   another country (`+20…` is Egypt), so they are refused with a hint to add the country code.
//! - *The metadata* (via `phonenumber`) only normalises (for example it drops a trunk `0` typed
//!   after the country code, `+44 (0)20…`) and judges plausibility. Its verdict is a warning,
//!   not a block: Direct Routing ranges can be unusual, and the fictional US 555-01xx numbers
//!   of the docs and the demo tenant must still work.

use phonenumber::{Mode, PhoneNumber};
use serde::Serialize;
use std::fmt::Write as _;

/// E.164 allows at most 15 digits, country code included.
const MAX_DIGITS: usize = 15;
/// The longest extension NumberDesk accepts; PBX extensions are far shorter than this.
const MAX_EXTENSION_DIGITS: usize = 10;
/// The shortest national number after the country code that any country uses (Niue, St Helena).
const MIN_NATIONAL_DIGITS: usize = 4;
/// Digits typed without `+` or `00` are read as international only from this length on.
/// Shorter strings are far more likely a national number (a US number has 10 digits), and
/// reading them as international would silently pick another country.
const MIN_DIGITS_WITHOUT_PLUS: usize = 11;

/// A telephone number, normalised for Graph and formatted for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedNumber {
    /// The number in E.164, without the extension: `+12065550100`.
    pub e164: String,
    /// The extension digits, if any: `524`.
    pub extension: Option<String>,
    /// The international format for people: `+1 206-555-0100 ext. 524`.
    pub display: String,
    /// The country or territory (ISO 3166 code) the number belongs to, when known: `US`.
    pub region: Option<String>,
    /// False when the metadata calls the number invalid. Show a warning; don't block, because
    /// Direct Routing ranges can be unusual.
    pub plausible: bool,
}

impl ParsedNumber {
    /// The form Graph uses: `+12065550100`, or `+12065550100;ext=524` with an extension.
    pub fn graph_form(&self) -> String {
        match &self.extension {
            Some(extension) => format!("{};ext={extension}", self.e164),
            None => self.e164.clone(),
        }
    }
}

/// Why a text is not a phone number NumberDesk can use. The message is for the admin and says
/// what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("Type or paste a phone number, such as +1 206 555 0100.")]
    Empty,
    #[error(
        "This doesn't contain a phone number. Type or paste the number with + and the country \
         code, such as +1 206 555 0100."
    )]
    NoDigits,
    #[error(
        "Letters can't be part of the number here (as in 1-800-FLOWERS). Type the digits \
         instead, with + and the country code, such as +1 800 356 9377."
    )]
    Letters,
    #[error(
        "“{0}” can't be part of a phone number. Use digits, with spaces, dashes, dots or \
         brackets if you like, and + with the country code, such as +1 206 555 0100."
    )]
    UnexpectedCharacter(char),
    #[error(
        "A + belongs only once, at the very start of the number. Remove the extra +, as in \
         +44 20 7946 0958."
    )]
    MisplacedPlus,
    #[error(
        "This looks like a number for dialling within one country. Add + and the country code, \
         and leave out a leading 0 (the trunk prefix): (206) 555-0100 becomes +1 206 555 0100, \
         and 020 7946 0958 becomes +44 20 7946 0958."
    )]
    NationalFormat,
    #[error(
        "The number doesn't start with a country code that exists. Check the digits right after \
         the +: for example +1 for the US and Canada, +44 for the UK, +49 for Germany."
    )]
    UnknownCountryCode,
    #[error(
        "This number is too short. Check that no digits are missing and that it starts with + \
         and the country code, such as +1 206 555 0100."
    )]
    TooShort,
    #[error(
        "This number has {0} digits, but a phone number has at most 15 (country code included, \
         extension not). Check for extra or repeated digits, and put an extension after ;ext= \
         or x."
    )]
    TooLong(usize),
    #[error(
        "The extension must be digits only, such as +1 206 555 0100;ext=524. Remove any other \
         characters from it."
    )]
    ExtensionNotDigits,
    #[error(
        "There is an extension marker (ext, x or #) but no extension after it. Add the \
         extension digits, or remove the marker."
    )]
    ExtensionMissing,
    #[error(
        "The extension has {0} digits, but NumberDesk accepts at most 10. Check the extension \
         for extra digits."
    )]
    ExtensionTooLong(usize),
    #[error("The number has two extensions. Keep only one, such as +1 206 555 0100;ext=524.")]
    TwoExtensions,
    #[error(
        "NumberDesk doesn't understand “;{0}” in this number. Remove it; only ;ext= is used, as \
         in +1 206 555 0100;ext=524."
    )]
    UnknownParameter(String),
}

/// Parses what an admin typed or pasted into a normalised number.
///
/// Accepts `+1 (206) 555-0100`, `12065550100`, `0044 20 7946 0958`, `tel:+12065550100`,
/// `+12065550100;ext=524`, and extensions written `x524`, `ext 524`, `ext. 524` or `#524`.
pub fn parse_number(input: &str) -> Result<ParsedNumber, NumberError> {
    // Copying from web pages, Teams and Outlook brings invisible marks along; they mean nothing.
    let cleaned: String = input.chars().filter(|&c| !is_invisible(c)).collect();
    let text = cleaned.trim();
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(NumberError::NoDigits);
    }
    let text = strip_tel_scheme(text);
    let (main, parameters) = match text.split_once(';') {
        Some((main, parameters)) => (main, Some(parameters)),
        None => (text, None),
    };
    let (number_part, inline_extension) = split_inline_extension(main)?;
    let parameter_extension = parameters.map(extension_parameter).transpose()?.flatten();
    let extension = match (inline_extension, parameter_extension) {
        (Some(_), Some(_)) => return Err(NumberError::TwoExtensions),
        (inline, parameter) => inline.or(parameter),
    };
    let digits = international_digits(number_part)?;
    let (number, e164) = normalise(&digits)?;

    let mut display = international_format(&number).unwrap_or_else(|| e164.clone());
    if let Some(extension) = &extension {
        display.push_str(" ext. ");
        display.push_str(extension);
    }
    Ok(ParsedNumber {
        e164,
        extension,
        display,
        region: region_of(&number),
        plausible: number.is_valid(),
    })
}

/// For showing numbers that came from Graph (already E.164, maybe with `;ext=`): the display
/// form, or the input unchanged when it can't be parsed.
pub fn display_form(graph_number: &str) -> String {
    match parse_number(graph_number) {
        Ok(number) => number.display,
        Err(_) => graph_number.to_string(),
    }
}

/// Zero-width spaces, joiners, direction marks, the byte-order mark and soft hyphens.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
    )
}

/// Separators people put between digit groups, including the typographic dashes and spaces
/// word processors substitute.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '[' | ']' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

fn strip_tel_scheme(text: &str) -> &str {
    match text.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => text[4..].trim_start(),
        _ => text,
    }
}

/// Splits `+1 206 555 0100 x524` into the number and the extension written after it with
/// `x`, `ext`, `ext.`, `extension` or `#`. Any other letter makes it a vanity number.
fn split_inline_extension(main: &str) -> Result<(&str, Option<String>), NumberError> {
    let Some(start) = main.find(|c: char| c.is_alphabetic() || c == '#') else {
        return Ok((main, None));
    };
    let tail = main[start..].to_ascii_lowercase();
    let marker = ["extension", "ext.", "ext", "x", "#"]
        .into_iter()
        .find(|marker| tail.starts_with(marker))
        .ok_or(NumberError::Letters)?;
    let rest = tail[marker.len()..]
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '.' | ':' | '='))
        .trim_end();
    if rest.chars().any(char::is_alphabetic) {
        return Err(NumberError::Letters);
    }
    Ok((&main[..start], Some(checked_extension(rest)?)))
}

/// Reads URI parameters (`ext=524;…`): the extension if there is one. Parameters that could
/// change which number is meant are refused rather than silently dropped.
fn extension_parameter(parameters: &str) -> Result<Option<String>, NumberError> {
    let mut extension = None;
    for parameter in parameters.split(';').map(str::trim) {
        if parameter.is_empty() {
            continue;
        }
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        if !name.trim().eq_ignore_ascii_case("ext") {
            return Err(NumberError::UnknownParameter(parameter.to_string()));
        }
        if extension.is_some() {
            return Err(NumberError::TwoExtensions);
        }
        extension = Some(checked_extension(value.trim())?);
    }
    Ok(extension)
}

fn checked_extension(extension: &str) -> Result<String, NumberError> {
    if extension.is_empty() {
        return Err(NumberError::ExtensionMissing);
    }
    if !extension.chars().all(|c| c.is_ascii_digit()) {
        return Err(NumberError::ExtensionNotDigits);
    }
    if extension.len() > MAX_EXTENSION_DIGITS {
        return Err(NumberError::ExtensionTooLong(extension.len()));
    }
    Ok(extension.to_string())
}

/// The digits of the number with the country code first, or why they can't be read that way.
fn international_digits(number_part: &str) -> Result<String, NumberError> {
    let mut digits = String::new();
    let mut plus = false;
    let mut opens_with_bracket = false;
    for c in number_part.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == '+' || c == '\u{FF0B}' {
            if plus || !digits.is_empty() {
                return Err(NumberError::MisplacedPlus);
            }
            plus = true;
        } else if is_separator(c) {
            if c == '(' && digits.is_empty() && !plus {
                opens_with_bracket = true;
            }
        } else {
            return Err(NumberError::UnexpectedCharacter(c));
        }
    }
    if digits.is_empty() {
        return Err(NumberError::NoDigits);
    }
    let idd = !plus && digits.starts_with("00");
    if idd {
        digits.drain(..2);
    }
    if digits.len() > MAX_DIGITS {
        return Err(NumberError::TooLong(digits.len()));
    }
    if plus || idd {
        if digits.starts_with('0') {
            return Err(NumberError::UnknownCountryCode);
        }
    } else if digits.starts_with('0')
        || opens_with_bracket
        || digits.len() < MIN_DIGITS_WITHOUT_PLUS
    {
        return Err(NumberError::NationalFormat);
    }
    Ok(digits)
}

/// Normalises `digits` (country code first) with the metadata.
///
/// The crate strips a national (trunk) prefix even after a country code, which rightly turns
/// `+44 (0)20 7946 0958` into `+442079460958` but, unlike libphonenumber, also turns the real
/// St Petersburg number `+7 812 123 4567` into `+7121234567`. So its rewrite is taken only when
/// it is what makes the number valid; otherwise the digits stay as typed. This also makes
/// normalising idempotent: a valid result is kept as typed the second time.
fn normalise(digits: &str) -> Result<(PhoneNumber, String), NumberError> {
    let typed = format!("+{digits}");
    let rewritten =
        phonenumber::parse(None, &typed).map_err(|error| from_parse_error(error, digits))?;
    let code = rewritten.code().value();
    let chosen = if e164_of(&rewritten) == typed {
        rewritten
    } else {
        let national = digits.get(code.to_string().len()..).unwrap_or_default();
        match with_national(&rewritten, national) {
            Some(as_typed) if as_typed.is_valid() || !rewritten.is_valid() => as_typed,
            _ => rewritten,
        }
    };
    let e164 = e164_of(&chosen);
    let national_digits = e164.len() - 1 - code.to_string().len();
    if national_digits < MIN_NATIONAL_DIGITS {
        return Err(NumberError::TooShort);
    }
    if e164.len() - 1 > MAX_DIGITS {
        return Err(NumberError::TooLong(e164.len() - 1));
    }
    Ok((chosen, e164))
}

fn e164_of(number: &PhoneNumber) -> String {
    format!("+{}{}", number.code().value(), number.national())
}

/// `number` with its national number replaced by `national`, exactly as typed. The crate has no
/// constructor for a `PhoneNumber`, so this goes through its serde form and the public
/// `NationalNumber::new`; `None` for an all-zero national number.
fn with_national(number: &PhoneNumber, national: &str) -> Option<PhoneNumber> {
    let zeros = national.chars().take_while(|&c| c == '0').count();
    // All zeros is no number, and the crate would print it with one zero too many.
    let value = national
        .get(zeros..)
        .filter(|rest| !rest.is_empty())?
        .parse()
        .ok()?;
    let national = phonenumber::NationalNumber::new(value, u8::try_from(zeros).ok()?).ok()?;
    let mut fields = serde_json::to_value(number).ok()?;
    let object = fields.as_object_mut()?;
    object.insert("national".into(), serde_json::to_value(national).ok()?);
    // The carrier code the crate found belonged to the prefix it stripped.
    object.insert("carrier".into(), serde_json::Value::Null);
    serde_json::from_value(fields).ok()
}

fn from_parse_error(error: phonenumber::ParseError, digits: &str) -> NumberError {
    use phonenumber::ParseError;
    match error {
        ParseError::InvalidCountryCode => NumberError::UnknownCountryCode,
        ParseError::TooLong => NumberError::TooLong(digits.len()),
        // With at most 15 digits, a malformed integer can only be an empty national number,
        // as in `+44 0`.
        ParseError::MalformedInteger(_)
        | ParseError::NoNumber
        | ParseError::TooShortAfterIdd
        | ParseError::TooShortNsn => NumberError::TooShort,
    }
}

/// `+1 206-555-0100`. The crate's formatter reports an unknown country code as a formatting
/// error, which `to_string()` would turn into a panic; writing into a `String` keeps it an
/// `Option`.
fn international_format(number: &PhoneNumber) -> Option<String> {
    let mut formatted = String::new();
    write!(formatted, "{}", number.format().mode(Mode::International)).ok()?;
    Some(formatted)
}

/// The region the metadata assigns to the number, or else the main country of its country code
/// (the metadata can't place an invalid number, such as a fictional 555 one, within +1).
/// Non-geographic codes (`+800`, `+882`) have no region.
fn region_of(number: &PhoneNumber) -> Option<String> {
    if let Some(id) = number.country().id() {
        return Some(id.as_ref().to_string());
    }
    let candidates = phonenumber::metadata::DATABASE.by_code(&number.code().value())?;
    let main = match candidates.as_slice() {
        [only] => *only,
        several => *several
            .iter()
            .find(|metadata| metadata.is_main_country_for_code())?,
    };
    Some(main.id().to_string()).filter(|id| id != "001")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a row expects: the E.164, the extension and the plausibility, or an error.
    enum Expect {
        Number(&'static str, Option<&'static str>, bool),
        Error(NumberError),
    }
    use Expect::{Error, Number};

    #[test]
    fn real_world_formats() {
        let rows: Vec<(&str, Expect)> = vec![
            // The examples.
            ("+1 (206) 555-0100", Number("+12065550100", None, true)),
            ("12065550100", Number("+12065550100", None, true)),
            ("tel:+12065550100", Number("+12065550100", None, true)),
            ("+44 20 7946 0958", Number("+442079460958", None, true)),
            (
                "+12065550100;ext=524",
                Number("+12065550100", Some("524"), true),
            ),
            // Prefixes, schemes and separators.
            ("0044 20 7946 0958", Number("+442079460958", None, true)),
            ("TEL:+1-206-555-0100", Number("+12065550100", None, true)),
            (
                "tel:+1-206-555-0100;ext=524",
                Number("+12065550100", Some("524"), true),
            ),
            ("  +1 206 555 0100  ", Number("+12065550100", None, true)),
            (
                "+1\u{a0}206\u{a0}555\u{a0}0100",
                Number("+12065550100", None, true),
            ),
            ("+1.206.555.0100", Number("+12065550100", None, true)),
            ("+1 206 555\u{2013}0100", Number("+12065550100", None, true)),
            (
                "\u{200e}+1 206 555 0100\u{200f}",
                Number("+12065550100", None, true),
            ),
            ("1 (206) 555-0100", Number("+12065550100", None, true)),
            ("+44 (0)20 7946 0958", Number("+442079460958", None, true)),
            ("+44 020 7946 0958", Number("+442079460958", None, true)),
            ("+353 (0)1 234 5678", Number("+35312345678", None, true)),
            // A valid number is never rewritten, even when it starts like a trunk prefix.
            ("+7 812 123 4567", Number("+78121234567", None, true)),
            ("+7 800 555 3535", Number("+78005553535", None, true)),
            ("+44 00 1234 5678", Number("+440012345678", None, false)),
            // Other countries.
            ("+49 30 901820", Number("+4930901820", None, true)),
            ("+49 (0)30 901820", Number("+4930901820", None, true)),
            ("+61 2 5550 1234", Number("+61255501234", None, true)),
            ("+81 3-1234-5678", Number("+81312345678", None, true)),
            ("+39 06 6982 1234", Number("+390669821234", None, true)),
            // Extensions.
            (
                "+1 206 555 0100 x524",
                Number("+12065550100", Some("524"), true),
            ),
            (
                "+1 206 555 0100 ext 524",
                Number("+12065550100", Some("524"), true),
            ),
            (
                "+1 206 555 0100 ext. 524",
                Number("+12065550100", Some("524"), true),
            ),
            (
                "+1 206 555 0100 Ext.524",
                Number("+12065550100", Some("524"), true),
            ),
            (
                "+1 206 555 0100 #524",
                Number("+12065550100", Some("524"), true),
            ),
            (
                "+1 206 555 0100 extension 0524",
                Number("+12065550100", Some("0524"), true),
            ),
            (
                "+12065550100;EXT=524",
                Number("+12065550100", Some("524"), true),
            ),
            // Unusual ranges parse, with the warning flag.
            ("+1 206 155 0100", Number("+12061550100", None, false)),
            ("+44 20 1234", Number("+44201234", None, false)),
            // Errors.
            ("", Error(NumberError::Empty)),
            ("   \u{a0}", Error(NumberError::Empty)),
            ("abc", Error(NumberError::NoDigits)),
            ("+", Error(NumberError::NoDigits)),
            ("++1 206 555 0100", Error(NumberError::MisplacedPlus)),
            ("1+206 555 0100", Error(NumberError::MisplacedPlus)),
            ("1-800-FLOWERS", Error(NumberError::Letters)),
            ("+1 800 FLOWERS", Error(NumberError::Letters)),
            ("+1 206 555 0100 xyz", Error(NumberError::Letters)),
            ("(206) 555-0100", Error(NumberError::NationalFormat)),
            ("206-555-0100", Error(NumberError::NationalFormat)),
            ("020 7946 0958", Error(NumberError::NationalFormat)),
            ("030 901820", Error(NumberError::NationalFormat)),
            ("+1 206 555 0100 1234 5678", Error(NumberError::TooLong(19))),
            ("+0 206 555 0100", Error(NumberError::UnknownCountryCode)),
            ("+999 1234 5678", Error(NumberError::UnknownCountryCode)),
            ("+1 206", Error(NumberError::TooShort)),
            ("+44 0", Error(NumberError::TooShort)),
            ("+44 0000", Error(NumberError::TooShort)),
            (
                "+1 206 555 0100;ext=abc",
                Error(NumberError::ExtensionNotDigits),
            ),
            ("+1 206 555 0100;ext=", Error(NumberError::ExtensionMissing)),
            ("+1 206 555 0100 x", Error(NumberError::ExtensionMissing)),
            (
                "+1 206 555 0100 x5-24",
                Error(NumberError::ExtensionNotDigits),
            ),
            (
                "+1 206 555 0100;ext=12345678901",
                Error(NumberError::ExtensionTooLong(11)),
            ),
            (
                "+1 206 555 0100 x1;ext=2",
                Error(NumberError::TwoExtensions),
            ),
            (
                "tel:+12065550100;phone-context=+1",
                Error(NumberError::UnknownParameter("phone-context=+1".into())),
            ),
            (
                "+1 206 555 0100 *",
                Error(NumberError::UnexpectedCharacter('*')),
            ),
            ("sip:+12065550100@contoso.com", Error(NumberError::Letters)),
        ];
        assert!(rows.len() >= 25);
        let mut failures = Vec::new();
        for (input, expect) in rows {
            let actual = parse_number(input);
            let ok = match (&expect, &actual) {
                (Number(e164, extension, plausible), Ok(parsed)) => {
                    parsed.e164 == *e164
                        && parsed.extension.as_deref() == *extension
                        && parsed.plausible == *plausible
                }
                (Error(error), Err(actual)) => error == actual,
                _ => false,
            };
            if !ok {
                failures.push(format!("{input:?} gave {actual:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn display_graph_form_and_region() {
        let parsed = parse_number("+1 (206) 555-0100 ext. 524").unwrap();
        assert_eq!(parsed.graph_form(), "+12065550100;ext=524");
        assert_eq!(parsed.display, "+1 206-555-0100 ext. 524");
        assert_eq!(parsed.region.as_deref(), Some("US"));

        let london = parse_number("+44 20 7946 0958").unwrap();
        assert_eq!(london.graph_form(), "+442079460958");
        assert_eq!(london.display, "+44 20 7946 0958");
        assert_eq!(london.region.as_deref(), Some("GB"));

        // The metadata can't place an invalid +1 number; it still belongs to the US.
        let odd = parse_number("+1 206 155 0100").unwrap();
        assert_eq!(odd.region.as_deref(), Some("US"));
    }

    #[test]
    fn display_form_of_graph_numbers() {
        assert_eq!(display_form("+12065550100"), "+1 206-555-0100");
        assert_eq!(
            display_form("+12065551000;ext=524"),
            "+1 206-555-1000 ext. 524"
        );
        assert_eq!(display_form("not a number"), "not a number");
        assert_eq!(display_form(""), "");
    }

    #[test]
    fn serialises_in_camel_case() {
        let json = serde_json::to_value(parse_number("+12065550100;ext=524").unwrap()).unwrap();
        assert_eq!(json["e164"], "+12065550100");
        assert_eq!(json["extension"], "524");
        assert_eq!(json["plausible"], true);
        assert!(json.get("region").is_some());
    }

    #[test]
    fn every_error_says_what_to_do() {
        let errors = [
            NumberError::Empty,
            NumberError::NoDigits,
            NumberError::Letters,
            NumberError::UnexpectedCharacter('*'),
            NumberError::MisplacedPlus,
            NumberError::NationalFormat,
            NumberError::UnknownCountryCode,
            NumberError::TooShort,
            NumberError::TooLong(16),
            NumberError::ExtensionNotDigits,
            NumberError::ExtensionMissing,
            NumberError::ExtensionTooLong(11),
            NumberError::TwoExtensions,
            NumberError::UnknownParameter("isub=1".into()),
        ];
        for error in errors {
            let message = error.to_string();
            assert!(message.ends_with('.'), "{message}");
            assert!(
                ["Type", "Add", "Check", "Remove", "Keep", "Use"]
                    .iter()
                    .any(|verb| message.contains(verb)),
                "no next step in: {message}"
            );
        }
    }

    /// Country codes in use, a few unassigned ones, and random 1–3 digit codes.
    fn country_code() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "1", "7", "20", "27", "30", "31", "33", "34", "36", "39", "41", "43", "44", "45",
                "46", "47", "48", "49", "52", "54", "55", "61", "64", "81", "82", "86", "90", "91",
                "290", "353", "358", "372", "420", "683", "800", "852", "882", "971", "979", "999",
            ])
            .prop_map(String::from),
            "[1-9][0-9]{0,2}",
        ]
    }

    /// A number as an admin might write it: country code and digit groups joined by random
    /// separators, maybe `tel:`, maybe an extension.
    fn formatted_number() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            country_code(),
            proptest::collection::vec("[0-9]{1,4}", 1..5),
            proptest::collection::vec(
                proptest::sample::select(vec!["", " ", "-", ".", "\u{a0}"]),
                5,
            ),
            any::<bool>(),
            proptest::option::of("[0-9]{1,6}"),
            proptest::sample::select(vec![";ext=", " x", " ext. ", " #"]),
        )
            .prop_map(
                |(tel, code, groups, separators, brackets, extension, marker)| {
                    let mut text = String::new();
                    if tel {
                        text.push_str("tel:");
                    }
                    text.push('+');
                    text.push_str(&code);
                    for (index, group) in groups.iter().enumerate() {
                        text.push_str(separators[index % separators.len()]);
                        if brackets && index == 0 {
                            text.push_str(&format!("({group})"));
                        } else {
                            text.push_str(group);
                        }
                    }
                    if let Some(extension) = extension {
                        text.push_str(marker);
                        text.push_str(&extension);
                    }
                    text
                },
            )
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(input in any::<String>()) {
            let _ = parse_number(&input);
            let _ = display_form(&input);
        }

        #[test]
        fn never_panics_on_phone_like_text(input in "[+0-9 ()\\-.;=#:xXetl\u{a0}]{0,40}") {
            let _ = parse_number(&input);
        }

        #[test]
        fn normalising_twice_changes_nothing(input in formatted_number()) {
            let first = match parse_number(&input) {
                Ok(first) => first,
                // The generator can make a number too short or too long, or one with a
                // country code that does not exist; nothing else is refused.
                Err(refused) => {
                    prop_assert!(
                        matches!(
                            refused,
                            NumberError::TooShort
                                | NumberError::TooLong(_)
                                | NumberError::UnknownCountryCode
                        ),
                        "{:?} for {:?}",
                        refused,
                        input
                    );
                    return Ok(());
                }
            };
            let second = parse_number(&first.graph_form()).map_err(|again| {
                TestCaseError::fail(format!("{input:?} -> {first:?} -> {again:?}"))
            })?;
            prop_assert_eq!(&second.e164, &first.e164, "input {:?}", input);
            prop_assert_eq!(&second.extension, &first.extension, "input {:?}", input);
            prop_assert_eq!(&second.display, &first.display, "input {:?}", input);
        }

        #[test]
        fn plain_e164_numbers_keep_their_digits(
            code in proptest::sample::select(vec!["1", "44", "49", "61", "81"]),
            national in "[2-9][0-9]{7,9}",
        ) {
            // A national number that doesn't start with a trunk prefix is never rewritten.
            let input = format!("+{code}{national}");
            prop_assert_eq!(parse_number(&input).map(|parsed| parsed.e164), Ok(input));
        }

        #[test]
        fn russian_numbers_starting_with_8_keep_their_8(rest in "[0-9]{9}") {
            // 8 is Russia's trunk prefix but also starts real numbers (812 St Petersburg).
            let input = format!("+78{rest}");
            prop_assert_eq!(parse_number(&input).map(|parsed| parsed.e164), Ok(input));
        }
    }
}
