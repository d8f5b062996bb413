//! The input side of bulk unassign: a pasted list or a CSV file, read into a [`Table`], the
//! column with the numbers (or the people) found, and every row turned into an [`InputRow`]
//! for the preview.
//!
//! Why it works the way it does:
//! - **Excel decides the format, not us.** A European Excel saves CSV with `;` because `,` is
//!   its decimal mark, "CSV UTF-8" adds a byte-order mark, the plain "CSV" choice saves in an
//!   old code page, and "Unicode Text" is UTF-16 with tabs. So the delimiter is sniffed, the BOM
//!   dropped, UTF-16 with a BOM decoded, and anything else that isn't UTF-8 refused with the
//!   line it stopped at and the Save As choice that fixes it. Guessing a code page would turn
//!   names into mojibake silently; numbers are ASCII, but the admin checks the preview by name.
//! - **Sniffing reads quotes as the parser does.** For each candidate delimiter (tab, `;`, `,`)
//!   the first 50 records are scanned the way the `csv` crate reads them (a quote
//!   opens a quoted cell only at the start of a cell). The delimiter under which no quote is out
//!   of place wins, then the one found the same number of times in the most records; on a tie
//!   tab beats `;` beats `,`, because those two rarely turn up in free text while a comma does
//!   (`Vance, Adele` in a tab-separated paste from Excel). A Teams `LineURI` such as
//!   `tel:+12065551000;ext=524` is a number with a parameter, not two cells: a delimiter
//!   followed by `name=` right after a digit is not counted, and a pasted list doesn't split
//!   there either.
//! - **A header is a row that isn't data.** The first row is a header when none of its cells is
//!   a phone number and either one of them is a well-known column name or later rows do hold
//!   numbers. That keeps a headerless file's first number in the list, and a list of national
//!   numbers (`(206) 555-0100`, refused later with a hint) under a `Phone` header out of it.
//! - **Bounded, whatever the file.** At most [`MAX_ROWS`] data rows (more is refused, with the
//!   count, rather than half-done), at most [`MAX_COLUMNS`] cells in a row, and at most
//!   [`MAX_CELL_CHARS`] characters kept of a cell: a longer one is cut, ends with `…`, is listed
//!   in [`Table::shortened`], and its row says so in the preview. No phone number comes near
//!   the limit, so a cut cell is never read as a number.
//! - **HR's list names people, not numbers.** A cell with an `@` is a person (a user name or
//!   an email address, `sip:`/`smtp:` prefixes dropped), in any column, so numbers and people
//!   mix in one list. A display name (`Adele Vance`) is a person only in a column of people:
//!   one named so (`UserPrincipalName`, `Email`, `Mail`, `User`, `Name`, …) or holding at least
//!   one address. In a list of numbers, `call Adele` stays a row that is not a number. A Teams
//!   number column's name beats a person column's, which beats a generic one like `Phone`
//!   (HR's list has a `Phone` beside the email; a Teams export has `LineURI` beside the UPN).
//! - **Cells are trimmed and blank rows dropped.** Excel pads with spaces and ends files with
//!   `;;;` lines; neither means anything to the admin, and both would only be noise in the
//!   preview.

use crate::count::thousands;
use crate::graph::PersonQuery;
use crate::phone::{parse_number, ParsedNumber};
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The most data rows (not counting a header) one bulk unassign takes.
pub const MAX_ROWS: usize = 10_000;
/// The most characters kept of one cell; the rest is cut (see [`Table::shortened`]).
pub const MAX_CELL_CHARS: usize = 1_000;
/// The most cells one row may have. Teams PowerShell exports have a few hundred columns at most.
pub const MAX_COLUMNS: usize = 1_000;
/// [`Table::delimiter`] of a pasted list: every item is a row of its own.
pub const PASTED_DELIMITER: u8 = b'\n';

/// How many records the delimiter sniffer and the header check look at.
const SNIFF_RECORDS: usize = 50;
/// How many rows [`number_column`] parses per column to judge its content.
const COLUMN_SAMPLE_ROWS: usize = 200;
/// The candidate delimiters, the preferred one first (see the module docs).
const DELIMITERS: [u8; 3] = [b'\t', b';', b','];
/// What an old Excel `.xls` (an OLE compound file) starts with.
const OLE_SIGNATURE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// What a ZIP file, and so an `.xlsx` workbook, starts with.
const ZIP_SIGNATURE: &[u8] = b"PK\x03\x04";

/// Column names that say "the phone numbers are here", normalised (lower case, letters and
/// digits only). The first group names the Teams number itself and wins over the second, so an
/// export with both `LineURI` and `Phone` picks `LineURI`.
const NUMBER_COLUMN_NAMES: [&[&str]; 2] = [
    &[
        "phonenumber",
        "telephonenumber",
        "lineuri",
        "number",
        "numbers",
        "teamsnumber",
        "teamsphonenumber",
        "e164",
        "did",
        "didnumber",
    ],
    &[
        "phone",
        "telephone",
        "tel",
        "businessphone",
        "officephone",
        "workphone",
        "directnumber",
        "directline",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "telefon",
        "telefonnummer",
        "rufnummer",
        "nummer",
        "telefoon",
        "telefoonnummer",
        "numero",
        "numéro",
        "téléphone",
        "telefono",
        "teléfono",
    ],
];

/// Column names that say "the people are here", normalised like [`NUMBER_COLUMN_NAMES`]. The
/// first group holds user names or email addresses and wins over the second (display names),
/// so HR's `Name, Email` list picks `Email`.
const PERSON_COLUMN_NAMES: [&[&str]; 2] = [
    &[
        "userprincipalname",
        "upn",
        "email",
        "emails",
        "emailaddress",
        "mail",
        "mailaddress",
        "primarysmtpaddress",
        "smtpaddress",
        "workemail",
        "businessemail",
        "user",
        "username",
        "users",
        "userid",
        "login",
        "signinname",
        "sipaddress",
        "identity",
        "leaver",
        "leavers",
        "benutzername",
        "emailadresse",
        "courriel",
        "correo",
        "correoelectronico",
    ],
    &[
        "name",
        "displayname",
        "fullname",
        "person",
        "employee",
        "employeename",
        "anzeigename",
        "nom",
        "nombre",
        "naam",
    ],
];

/// Why a list or file can't be read. The message is for the admin and says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(
        "There are {} rows here, but NumberDesk takes at most 10,000 at a time. Split the file \
         (or the list) into parts of up to 10,000 rows and unassign one part after another.",
        thousands(*.rows)
    )]
    TooManyRows { rows: usize },
    #[error(
        "There are no phone numbers or people here: the list or file is empty, or holds only \
         column names. Paste the numbers or user names one per line, or choose a CSV file that \
         has them."
    )]
    Empty,
    #[error(
        "This file isn't text: it looks like an Excel workbook or another kind of document. In \
         Excel, choose File › Save As › “CSV UTF-8 (Comma delimited)”, then choose that file \
         here."
    )]
    NotText,
    #[error(
        "Line {line} of this file isn't UTF-8 text (Excel's plain “CSV” choice saves in an \
         older encoding). In Excel, choose File › Save As › “CSV UTF-8 (Comma delimited)”, then \
         choose that file here."
    )]
    NotUtf8 { line: usize },
    #[error(
        "The row on line {line} has {} cells, but NumberDesk reads at most 1,000. Save a copy \
         of the file with only the columns you need, such as the phone numbers, and choose that.",
        thousands(*.columns)
    )]
    TooManyColumns { line: usize, columns: usize },
    #[error(
        "NumberDesk couldn't read line {line} of this file ({detail}). Open it in Excel, save \
         it again as “CSV UTF-8 (Comma delimited)”, and choose the new file."
    )]
    Unreadable { line: usize, detail: String },
}

/// A pasted list or a CSV file, split into cells: trimmed, each at most [`MAX_CELL_CHARS`]
/// characters, blank rows left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The column names, when the first row was found to be a header.
    pub header: Option<Vec<String>>,
    /// The data rows. Rows may have different lengths (ragged files are read as they are).
    pub rows: Vec<Vec<String>>,
    /// The delimiter that was used: `,`, `;` or tab for a file, [`PASTED_DELIMITER`] for a list.
    pub delimiter: u8,
    /// For each row, the 1-based line of the source it starts on (a quoted cell may span lines).
    pub lines: Vec<usize>,
    /// The cells cut to [`MAX_CELL_CHARS`], as `(row, column)` indexes into [`Table::rows`],
    /// in ascending order.
    pub shortened: Vec<(usize, usize)>,
}

impl Table {
    /// The number of columns: the longest row, or the header when it is longer.
    pub fn width(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain(self.header.as_ref().map(Vec::len))
            .max()
            .unwrap_or(0)
    }
}

/// One row of the preview, for the chosen column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRow {
    /// The 1-based line in the source, for messages ("line 12: …").
    pub line: usize,
    /// The cell as read (trimmed; empty when the row has no such column).
    pub raw: String,
    /// The number, or a sentence for the admin saying why this row is skipped. Unused when the
    /// row names a person ([`InputRow::person`]).
    pub number: Result<ParsedNumber, String>,
    /// The person the row names instead of a number: a user name or email (any column), or a
    /// display name (a column of people). The preview looks them up and lists their numbers.
    pub person: Option<PersonQuery>,
    /// The index (into the returned rows) of the first row with the same number, by
    /// [`ParsedNumber::graph_form`], or naming the same person (ignoring case): this row is a
    /// duplicate and is skipped.
    pub duplicate_of: Option<usize>,
    /// Who the admin saw holding the number when they chose it (the Numbers view or the
    /// leavers lens): `Some(None)` for a holder without an object ID. `None` for a list the
    /// admin brought, whose holders the preview shows for the first time. The preview skips a
    /// row whose number is held by someone else now.
    pub seen_holder: Option<Option<String>>,
}

/// A pasted list: numbers one per line or separated by `,`, `;` or tab. Every non-empty item is
/// one row with one column.
///
/// Items are trimmed and a pair of surrounding double quotes is dropped. A `;` that starts a
/// URI parameter after a number (`tel:+12065551000;ext=524`) stays part of the item.
pub fn parse_pasted(text: &str) -> Result<Table, InputError> {
    let mut table = Table {
        delimiter: PASTED_DELIMITER,
        ..Table::default()
    };
    let mut items = 0usize;
    for (line, content) in source_lines(text) {
        for item in pasted_items(content) {
            let item = unquoted(item.trim());
            if is_blank(item) {
                continue;
            }
            items += 1;
            if items > MAX_ROWS {
                continue; // Only counted, for the message.
            }
            let (cell, cut) = capped_cell(item);
            if cut {
                table.shortened.push((table.rows.len(), 0));
            }
            table.rows.push(vec![cell]);
            table.lines.push(line);
        }
    }
    if items > MAX_ROWS {
        return Err(InputError::TooManyRows { rows: items });
    }
    if table.rows.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(table)
}

/// CSV bytes as a file holds them.
///
/// Drops a UTF-8 byte-order mark, decodes UTF-16 that starts with one, and refuses other
/// non-UTF-8 text ([`InputError::NotUtf8`], with the "CSV UTF-8" hint) and binary files such as
/// workbooks ([`InputError::NotText`]). Sniffs the delimiter (`,`, `;` or tab) from the first
/// records, respecting quotes, and detects a header row (see the module docs). Quoted cells may
/// hold delimiters, doubled quotes and line breaks; rows may be ragged; blank lines are skipped.
pub fn parse_csv(bytes: &[u8]) -> Result<Table, InputError> {
    let text = decode(bytes)?;
    let delimiter = sniff_delimiter(text.as_bytes());
    let mut reader = csv_reader(text.as_bytes(), delimiter);
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut lines = Vec::new();
    let mut shortened = Vec::new();
    let mut total = 0usize;
    let mut line_counter = LineCounter::new(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = match error.position() {
                    Some(position) => line_counter.line_at(byte_of(position)),
                    None => lines.last().copied().unwrap_or(1),
                };
                return Err(InputError::Unreadable {
                    line,
                    detail: error.to_string(),
                });
            }
        }
        if record.iter().all(is_blank) {
            continue;
        }
        total += 1;
        // One record more than the limit is kept: it may be the header.
        if total > MAX_ROWS + 1 {
            continue;
        }
        let line = match record.position() {
            Some(position) => line_counter.line_at(byte_of(position)),
            None => total,
        };
        if record.len() > MAX_COLUMNS {
            return Err(InputError::TooManyColumns {
                line,
                columns: record.len(),
            });
        }
        let mut cells = Vec::with_capacity(record.len());
        for (column, field) in record.iter().enumerate() {
            let (cell, cut) = capped_cell(field.trim());
            if cut {
                shortened.push((records.len(), column));
            }
            cells.push(cell);
        }
        records.push(cells);
        lines.push(line);
    }

    let has_header = records
        .split_first()
        .is_some_and(|(first, rest)| looks_like_header(first, rest));
    let data_rows = total - usize::from(has_header);
    if data_rows > MAX_ROWS {
        return Err(InputError::TooManyRows { rows: data_rows });
    }
    if data_rows == 0 {
        return Err(InputError::Empty);
    }
    let header = if has_header {
        lines.remove(0);
        shortened.retain(|&(row, _)| row > 0);
        for (row, _) in &mut shortened {
            *row -= 1;
        }
        Some(records.remove(0))
    } else {
        None
    };
    Ok(Table {
        header,
        rows: records,
        delimiter,
        lines,
        shortened,
    })
}

/// The column holding the numbers or the people, when it is obvious: the only column of the
/// table; else the column whose header is a well-known name, in this order: a Teams number
/// (`Phone number`, `TelephoneNumber`, `LineURI`, `Number`, …), a user name or email
/// (`UserPrincipalName`, `UPN`, `Email`, `Mail`, `User`, …), a generic phone (`Phone`,
/// `Mobile`, …), a display name (`Name`, `DisplayName`, …); two equal matches are not obvious.
/// A name match is ignored when none of its cells fit while another column's do. Else the only
/// column where most non-empty cells parse as phone numbers, else the only one where most look
/// like user names or emails. `None` means the admin must choose.
pub fn number_column(table: &Table) -> Option<usize> {
    let columns = table.width();
    if columns <= 1 {
        return (columns == 1).then_some(0);
    }
    // Per column, over a sample of rows: cells that parse as numbers, cells that look like
    // user names or emails, non-empty cells.
    #[derive(Clone, Copy, Default)]
    struct Content {
        numbers: usize,
        addresses: usize,
        filled: usize,
    }
    impl Content {
        fn numbers(&self) -> usize {
            self.numbers
        }
        fn addresses(&self) -> usize {
            self.addresses
        }
        fn text(&self) -> usize {
            self.filled - self.numbers
        }
    }
    /// How many of a column's cells fit what a column name promises.
    type Fits = fn(&Content) -> usize;
    let mut content = vec![Content::default(); columns];
    for row in table.rows.iter().take(COLUMN_SAMPLE_ROWS) {
        for (cell, counts) in row.iter().zip(content.iter_mut()) {
            if !is_blank(cell) {
                counts.filled += 1;
                counts.numbers += usize::from(parse_number(cell).is_ok());
                counts.addresses += usize::from(looks_like_address(cell));
            }
        }
    }
    let groups: [(&[&str], Fits); 4] = [
        (NUMBER_COLUMN_NAMES[0], Content::numbers),
        (PERSON_COLUMN_NAMES[0], Content::addresses),
        (NUMBER_COLUMN_NAMES[1], Content::numbers),
        (PERSON_COLUMN_NAMES[1], Content::text),
    ];

    if let Some(header) = &table.header {
        for (names, fits) in groups {
            let any_fit = content.iter().any(|c| fits(c) > 0);
            let matches: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, name)| names.contains(&normalised_name(name).as_str()))
                .map(|(index, _)| index)
                .collect();
            match matches.as_slice() {
                [] => continue,
                [only] if fits(&content[*only]) > 0 || !any_fit => return Some(*only),
                [_] => continue,
                _ => break,
            }
        }
    }

    for fits in [Content::numbers as Fits, Content::addresses] {
        let mut mostly = content
            .iter()
            .enumerate()
            .filter(|(_, c)| fits(c) > 0 && fits(c) * 2 > c.filled)
            .map(|(index, _)| index);
        match (mostly.next(), mostly.next()) {
            (Some(only), None) => return Some(only),
            (Some(_), Some(_)) => return None,
            _ => {}
        }
    }
    None
}

/// Whether `column` holds people: its header names people, or a cell in it is a user name or
/// an email address. A display name is read as a person only in such a column.
pub fn is_people_column(table: &Table, column: usize) -> bool {
    let named = table
        .header
        .as_ref()
        .and_then(|header| header.get(column))
        .is_some_and(|name| {
            let name = normalised_name(name);
            PERSON_COLUMN_NAMES
                .iter()
                .any(|names| names.contains(&name.as_str()))
        });
    named
        || table
            .rows
            .iter()
            .filter_map(|row| row.get(column))
            .any(|cell| looks_like_address(cell))
}

/// The person a cell names, if it names one (see the module docs): a user name or email in
/// any column, a display name only in a column of people. A cell that parses as a phone
/// number is a number.
fn person_in(cell: &str, people_column: bool) -> Option<PersonQuery> {
    if parse_number(cell).is_ok() {
        return None;
    }
    let address = strip_address_scheme(cell);
    if address.contains('@') {
        return Some(PersonQuery::Address(address.to_owned()));
    }
    match crate::people::person_query(cell)? {
        PersonQuery::Name(name) if people_column => Some(PersonQuery::Name(name)),
        _ => None,
    }
}

/// `sip:adele@contoso.com` (a Teams export's `SipAddress`), `SMTP:adele@contoso.com` (an
/// Exchange `proxyAddresses` value) → `adele@contoso.com`.
fn strip_address_scheme(cell: &str) -> &str {
    let cell = cell.trim();
    for scheme in ["sip:", "smtp:", "mailto:"] {
        let prefix = cell.get(..scheme.len());
        if prefix.is_some_and(|p| p.eq_ignore_ascii_case(scheme)) {
            return cell.get(scheme.len()..).unwrap_or_default().trim();
        }
    }
    cell
}

/// A user name or email address: one `@` with something before it and a dotted domain
/// after, no spaces.
fn looks_like_address(cell: &str) -> bool {
    let cell = strip_address_scheme(cell);
    let Some((local, domain)) = cell.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !cell.chars().any(char::is_whitespace)
}

/// One [`InputRow`] per row of the table, for `column`: the cell, its number (or the person it
/// names) or why it can't be used, and whether an earlier row has the same number or person.
/// A row without that column, or with a blank or cut cell there, gets a message instead of a
/// number.
pub fn rows_for_column(table: &Table, column: usize) -> Vec<InputRow> {
    let header_lines = usize::from(table.header.is_some());
    let people_column = is_people_column(table, column);
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for (index, row) in table.rows.iter().enumerate() {
        let raw = row.get(column).cloned().unwrap_or_default();
        let cut = table.shortened.binary_search(&(index, column)).is_ok();
        let person = if cut || is_blank(&raw) {
            None
        } else {
            person_in(&raw, people_column)
        };
        let number = if cut {
            Err(format!(
                "This cell holds more than {} characters, far more than a phone number, so \
                 NumberDesk kept only the beginning. Check that you chose the column with the \
                 phone numbers, or correct this cell in the file.",
                thousands(MAX_CELL_CHARS)
            ))
        } else if is_blank(&raw) {
            Err(
                "This row is empty in the chosen column, so it is skipped. Add the number in \
                 the file if this row should be unassigned."
                    .to_string(),
            )
        } else {
            parse_number(&raw).map_err(|error| error.to_string())
        };
        let key = match (&person, &number) {
            (Some(PersonQuery::Address(a)), _) => Some(format!("person:{}", a.to_lowercase())),
            (Some(PersonQuery::Name(n)), _) => Some(format!("name:{}", n.trim().to_lowercase())),
            (None, Ok(parsed)) => Some(parsed.graph_form()),
            (None, Err(_)) => None,
        };
        let duplicate_of = key.and_then(|key| match first_row_of.entry(key) {
            Entry::Occupied(first) => Some(*first.get()),
            Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
        });
        rows.push(InputRow {
            line: table
                .lines
                .get(index)
                .copied()
                .unwrap_or(index + 1 + header_lines),
            raw,
            number,
            person,
            duplicate_of,
            seen_holder: None,
        });
    }
    rows
}

/// The bytes as text: BOM dropped, UTF-16 decoded, binary and other encodings refused.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, InputError> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(ZIP_SIGNATURE) || bytes.starts_with(OLE_SIGNATURE) || bytes.contains(&0) {
        return Err(InputError::NotText);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(error) => {
            let before = &bytes[..error.valid_up_to()];
            let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
            Err(InputError::NotUtf8 { line })
        }
    }
}

/// UTF-16 after its byte-order mark, as Excel's "Unicode Text" saves it.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, InputError> {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    let broken = |text: &str| InputError::NotUtf8 {
        line: 1 + text.matches('\n').count(),
    };
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => return Err(broken(&text)),
        }
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(broken(&text));
    }
    if text.contains('\0') {
        return Err(InputError::NotText);
    }
    Ok(text)
}

fn csv_reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes)
}

fn byte_of(position: &csv::Position) -> usize {
    usize::try_from(position.byte()).unwrap_or(usize::MAX)
}

/// The delimiter that reads the first records most cleanly and most regularly (see the module
/// docs); `,` when no candidate occurs at all (a single column).
fn sniff_delimiter(text: &[u8]) -> u8 {
    // (records with a misplaced quote, reversed; records agreeing on the count; records with one)
    type Score = (std::cmp::Reverse<usize>, usize, usize);
    let mut best: Option<(Score, u8)> = None;
    for delimiter in DELIMITERS {
        let shapes = record_shapes(text, delimiter);
        let mut frequency: HashMap<usize, usize> = HashMap::new();
        for shape in shapes.iter().filter(|shape| shape.separators > 0) {
            *frequency.entry(shape.separators).or_default() += 1;
        }
        // How many records share the most common separator count.
        let Some(consistent) = frequency.into_values().max() else {
            continue;
        };
        let present = shapes.iter().filter(|shape| shape.separators > 0).count();
        let irregular = shapes.iter().filter(|shape| shape.irregular).count();
        let score = (std::cmp::Reverse(irregular), consistent, present);
        // Strictly better only: on a tie the earlier, preferred delimiter stays.
        if best.is_none_or(|(best_score, _)| score > best_score) {
            best = Some((score, delimiter));
        }
    }
    best.map_or(b',', |(_, delimiter)| delimiter)
}

/// How one record looks when read with a candidate delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordShape {
    /// Separators outside quotes, not counting a `;ext=`-like parameter after a number.
    separators: usize,
    /// A quote where this delimiter says none belongs: inside an unquoted cell, or followed by
    /// something other than a delimiter or a line end. The right delimiter reads a well-quoted
    /// file without any.
    irregular: bool,
}

/// The shapes of the first [`SNIFF_RECORDS`] non-blank records, quotes read as the `csv` crate
/// reads them (a quote opens a quoted cell only at the start of a cell).
fn record_shapes(text: &[u8], delimiter: u8) -> Vec<RecordShape> {
    #[derive(Clone, Copy)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let mut shapes = Vec::new();
    let mut state = State::CellStart;
    let mut shape = RecordShape {
        separators: 0,
        irregular: false,
    };
    let mut has_content = false;
    let mut ends_with_digit = false;
    for (index, &byte) in text.iter().enumerate() {
        if shapes.len() >= SNIFF_RECORDS {
            break;
        }
        let mut note = |byte: u8| {
            if !byte.is_ascii_whitespace() {
                has_content = true;
                ends_with_digit = byte.is_ascii_digit();
            }
        };
        match state {
            State::Quoted => {
                if byte == b'"' {
                    state = State::AfterQuote;
                } else {
                    note(byte);
                }
            }
            _ if byte == delimiter => {
                let rest = text.get(index + 1..).unwrap_or_default();
                if ends_with_digit && starts_uri_parameter(rest) {
                    state = State::Unquoted;
                } else {
                    shape.separators += 1;
                    ends_with_digit = false;
                    state = State::CellStart;
                }
            }
            _ if byte == b'\n' || byte == b'\r' => {
                if has_content || shape.separators > 0 {
                    shapes.push(shape);
                }
                shape = RecordShape {
                    separators: 0,
                    irregular: false,
                };
                has_content = false;
                ends_with_digit = false;
                state = State::CellStart;
            }
            State::CellStart if byte == b'"' => state = State::Quoted,
            State::AfterQuote if byte == b'"' => state = State::Quoted,
            State::CellStart => {
                note(byte);
                state = State::Unquoted;
            }
            State::Unquoted | State::AfterQuote => {
                shape.irregular |= byte == b'"' || matches!(state, State::AfterQuote);
                note(byte);
                state = State::Unquoted;
            }
        }
    }
    if (has_content || shape.separators > 0) && shapes.len() < SNIFF_RECORDS {
        shapes.push(shape);
    }
    shapes
}

fn ends_with_digit(text: &[u8]) -> bool {
    text.trim_ascii_end().last().is_some_and(u8::is_ascii_digit)
}

/// `ext=524`, ` phone-context=…`: a name, then `=`.
fn starts_uri_parameter(text: &[u8]) -> bool {
    let text = text.trim_ascii_start();
    if !text.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    let name = text
        .iter()
        .take_while(|&&byte| byte.is_ascii_alphanumeric() || byte == b'-')
        .count();
    text[name..].trim_ascii_start().first() == Some(&b'=')
}

/// Turns the byte offsets where the `csv` crate starts records into 1-based lines, moving
/// forward only. The crate's own line count is off after `\r\n` and skipped blank lines,
/// because a record's position is taken before the line ends in front of it are consumed.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `offset` that is not a line end.
    fn line_at(&mut self, offset: usize) -> usize {
        let mut start = offset.max(self.offset);
        while self
            .text
            .get(start)
            .is_some_and(|&byte| byte == b'\n' || byte == b'\r')
        {
            start += 1;
        }
        while self.offset < start.min(self.text.len()) {
            let ends_line = match self.text[self.offset] {
                b'\n' => true,
                b'\r' => self.text.get(self.offset + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += usize::from(ends_line);
            self.offset += 1;
        }
        self.line
    }
}

/// The first row is a header when none of its cells is a number or an address, and one of
/// them is a known column name or later rows do hold numbers or addresses.
fn looks_like_header(first: &[String], rest: &[Vec<String>]) -> bool {
    let data = |cell: &String| parse_number(cell).is_ok() || looks_like_address(cell);
    if first.iter().any(data) {
        return false;
    }
    let known_name = first.iter().any(|cell| {
        let name = normalised_name(cell);
        NUMBER_COLUMN_NAMES
            .iter()
            .chain(PERSON_COLUMN_NAMES.iter())
            .any(|names| names.contains(&name.as_str()))
    });
    known_name
        || rest
            .iter()
            .take(SNIFF_RECORDS)
            .any(|row| row.iter().any(data))
}

/// `Phone number`, `phone_number`, `TelephoneNumber` → `phonenumber`, `telephonenumber`.
fn normalised_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The lines of a text with their 1-based numbers; `\n`, `\r\n` and a lone `\r` end a line.
fn source_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut after_cr = false;
    for (index, c) in text.char_indices() {
        match c {
            '\n' if after_cr => start = index + 1,
            '\n' | '\r' => {
                lines.push((lines.len() + 1, &text[start..index]));
                start = index + 1;
            }
            _ => {}
        }
        after_cr = c == '\r';
    }
    lines.push((lines.len() + 1, &text[start..]));
    lines
}

/// The items of one pasted line, split at `,`, tab and `;` (but not at a `;` that starts a URI
/// parameter after a number).
fn pasted_items(line: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    for (index, c) in line.char_indices() {
        let separates = match c {
            ',' | '\t' => true,
            ';' => {
                !(ends_with_digit(&line.as_bytes()[start..index])
                    && starts_uri_parameter(&line.as_bytes()[index + 1..]))
            }
            _ => false,
        };
        if separates {
            items.push(&line[start..index]);
            start = index + 1;
        }
    }
    items.push(&line[start..]);
    items
}

/// `"+1 206 555 0100"` → `+1 206 555 0100`, as a spreadsheet may quote a pasted cell.
fn unquoted(item: &str) -> &str {
    item.strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .map_or(item, str::trim)
}

/// Nothing but spaces and invisible marks (a stray BOM, zero-width spaces).
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    })
}

/// The cell as kept: at most [`MAX_CELL_CHARS`] characters, then `…`; and whether it was cut.
fn capped_cell(text: &str) -> (String, bool) {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => (format!("{}…", &text[..end]), true),
        None => (text.to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect()
    }

    fn names(header: &[&str]) -> Option<Vec<String>> {
        Some(header.iter().map(|name| name.to_string()).collect())
    }

    fn csv(text: &str) -> Table {
        parse_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn pasted_lists_with_mixed_separators_and_blank_lines() {
        let text = "+1 206 555 0100, +1 206 555 0101;+1 206 555 0102\t+1 206 555 0103\r\n\
                    \r\n   \n\"+44 20 7946 0958\"\n tel:+12065551000;ext=524 ; +12065550104,,\n\
                    \t;\rx";
        let table = parse_pasted(text).unwrap();
        assert_eq!(
            table.rows,
            cells(&[
                &["+1 206 555 0100"],
                &["+1 206 555 0101"],
                &["+1 206 555 0102"],
                &["+1 206 555 0103"],
                &["+44 20 7946 0958"],
                &["tel:+12065551000;ext=524"],
                &["+12065550104"],
                &["x"],
            ])
        );
        assert_eq!(table.lines, vec![1, 1, 1, 1, 4, 5, 5, 7]);
        assert_eq!(table.header, None);
        assert_eq!(table.delimiter, PASTED_DELIMITER);
        assert!(table.shortened.is_empty());
        assert_eq!(number_column(&table), Some(0));

        let rows = rows_for_column(&table, 0);
        let extension = rows[5].number.as_ref().unwrap();
        assert_eq!(extension.graph_form(), "+12065551000;ext=524");
        assert_eq!(rows[5].line, 5);
        assert!(rows[7].number.is_err());
    }

    #[test]
    fn csv_with_and_without_a_byte_order_mark() {
        let text =
            "Name,Phone number\r\nAdele Vance,+1 206 555 0100\r\nAlex Wilber,+1 206 555 0101\r\n";
        let plain = csv(text);
        let with_bom = parse_csv(&[b"\xEF\xBB\xBF", text.as_bytes()].concat()).unwrap();
        assert_eq!(plain, with_bom);
        assert_eq!(plain.header, names(&["Name", "Phone number"]));
        assert_eq!(
            plain.rows,
            cells(&[
                &["Adele Vance", "+1 206 555 0100"],
                &["Alex Wilber", "+1 206 555 0101"]
            ])
        );
        assert_eq!(plain.delimiter, b',');
        assert_eq!(plain.lines, vec![2, 3]);
        assert_eq!(number_column(&plain), Some(1));
    }

    #[test]
    fn semicolons_from_a_european_excel_with_commas_in_quoted_cells() {
        let table = csv("Name;Nummer;Notes\n\
                         \"Vance, Adele\";+44 20 7946 0958;\"1,5 days\"\n\
                         \"Wilber, Alex\";+44 20 7946 0959;2,5\n");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.header, names(&["Name", "Nummer", "Notes"]));
        assert_eq!(
            table.rows,
            cells(&[
                &["Vance, Adele", "+44 20 7946 0958", "1,5 days"],
                &["Wilber, Alex", "+44 20 7946 0959", "2,5"],
            ])
        );
        assert_eq!(number_column(&table), Some(1));
    }

    #[test]
    fn tab_separated_with_commas_in_names() {
        let table = csv("Vance, Adele\t+12065550100\nWilber, Alex\t+12065550101\n");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.header, None);
        assert_eq!(
            table.rows,
            cells(&[
                &["Vance, Adele", "+12065550100"],
                &["Wilber, Alex", "+12065550101"]
            ])
        );
        assert_eq!(table.lines, vec![1, 2]);
        assert_eq!(number_column(&table), Some(1));
    }

    #[test]
    fn a_header_is_found_by_its_names_or_by_the_numbers_below_it() {
        // A well-known name.
        let named = csv("Display name,LineURI\nAdele,tel:+12065550100\n");
        assert_eq!(named.header, names(&["Display name", "LineURI"]));
        // Unknown names, but numbers below.
        let unknown = csv("Who,Where\nAdele,+12065550100\n");
        assert_eq!(unknown.header, names(&["Who", "Where"]));
        assert_eq!(unknown.rows.len(), 1);
        // National numbers don't parse; the name still marks the header.
        let national = csv("Phone\n(206) 555-0100\n(206) 555-0101\n");
        assert_eq!(national.header, names(&["Phone"]));
        assert_eq!(national.rows.len(), 2);
        for name in [
            "TelephoneNumber",
            "phone_number",
            " NUMBER ",
            "Telefonnummer",
        ] {
            let table = csv(&format!("{name}\n(206) 555-0100\n"));
            assert!(table.header.is_some(), "{name}");
        }
    }

    #[test]
    fn a_first_row_of_data_is_not_a_header() {
        let numbers = csv("Adele,+12065550100\nAlex,+12065550101\n");
        assert_eq!(numbers.header, None);
        assert_eq!(numbers.rows.len(), 2);
        assert_eq!(numbers.lines, vec![1, 2]);
        // A number in the first row wins over a known name beside it.
        let number_first = csv("Number,+12065550100\nNumber,+12065550101\n");
        assert_eq!(number_first.header, None);
        // Nothing parses and no name is known: the first row stays data.
        let words = csv("apples,pears\nplums,figs\n");
        assert_eq!(words.header, None);
        assert_eq!(words.rows.len(), 2);
    }

    #[test]
    fn quoted_cells_with_embedded_quotes_and_line_breaks() {
        let table = csv("Name,Number,Note\n\
                         \"Adele \"\"AV\"\" Vance\",+12065550100,\"line one\nline two\"\n\
                         Alex,\"+1 206 555 0101\",plain\n");
        assert_eq!(
            table.rows,
            cells(&[
                &["Adele \"AV\" Vance", "+12065550100", "line one\nline two"],
                &["Alex", "+1 206 555 0101", "plain"],
            ])
        );
        assert_eq!(table.lines, vec![2, 4]);
        let rows = rows_for_column(&table, 1);
        assert_eq!(rows[1].line, 4);
        assert!(rows.iter().all(|row| row.number.is_ok()));
    }

    #[test]
    fn ragged_rows_are_read_as_they_are() {
        let table = csv("Name,Number,Extra\nAdele,+12065550100\nAlex,+12065550101,x,y\nMeg\n");
        assert_eq!(
            table.rows,
            cells(&[
                &["Adele", "+12065550100"],
                &["Alex", "+12065550101", "x", "y"],
                &["Meg"],
            ])
        );
        assert_eq!(number_column(&table), Some(1));
        let rows = rows_for_column(&table, 1);
        assert_eq!(rows[2].raw, "");
        assert_eq!(rows[2].line, 4);
        assert!(rows[2].number.as_ref().unwrap_err().contains("empty"));
        // A column beyond every row is empty everywhere, not a panic.
        assert!(rows_for_column(&table, 9)
            .iter()
            .all(|row| row.number.is_err()));
    }

    #[test]
    fn empty_input_is_refused() {
        let empties: [&[u8]; 7] = [
            b"",
            b"\xEF\xBB\xBF",
            b"\n\n  \r\n",
            b";;;\n;;;\n",
            b",,\n \t ,\n",
            b"Phone number\n",
            b"Phone number\n;;\n",
        ];
        for bytes in empties {
            assert_eq!(parse_csv(bytes), Err(InputError::Empty), "{bytes:?}");
        }
        for text in ["", " \n , ;\t", "\"\"\n\u{200B}"] {
            assert_eq!(parse_pasted(text), Err(InputError::Empty), "{text:?}");
        }
    }

    #[test]
    fn a_single_column_without_header() {
        let table = csv("+12065550100\n+1 (206) 555-0101\n\n+44 20 7946 0958\n");
        assert_eq!(table.header, None);
        assert_eq!(table.delimiter, b',');
        assert_eq!(
            table.rows,
            cells(&[
                &["+12065550100"],
                &["+1 (206) 555-0101"],
                &["+44 20 7946 0958"]
            ])
        );
        assert_eq!(table.lines, vec![1, 2, 4]);
        assert_eq!(number_column(&table), Some(0));
    }

    #[test]
    fn the_number_column_is_chosen_when_obvious() {
        // A Teams name beats a generic one.
        let teams = csv("Mobile,LineURI\n+12065550199,tel:+12065550100\n");
        assert_eq!(number_column(&teams), Some(1));
        // No header: the only column of numbers.
        let content = csv("Adele,+12065550100,Seattle\nAlex,+12065550101,Redmond\n");
        assert_eq!(number_column(&content), Some(1));
        // "Number" holds employee ids, "Phone" the phone numbers: the content decides.
        let misnamed = csv("Number,Phone\n17,+12065550100\n18,+12065550101\n");
        assert_eq!(number_column(&misnamed), Some(1));
        // National numbers under a known name: the name decides.
        let national = csv("Name,Phone\nAdele,(206) 555-0100\nAlex,(206) 555-0101\n");
        assert_eq!(number_column(&national), Some(1));
        // A mostly empty column of numbers is still the numbers.
        let sparse = csv("Adele,+12065550100\nAlex,\nMeg,\n");
        assert_eq!(number_column(&sparse), Some(1));
    }

    #[test]
    fn an_ambiguous_number_column_is_left_to_the_admin() {
        let two_numbers = csv("+12065550100,+12065550199\n+12065550101,+12065550198\n");
        assert_eq!(number_column(&two_numbers), None);
        let two_names = csv("Mobile,Business phone\n+12065550199,+12065550100\n");
        assert_eq!(number_column(&two_names), None);
        let no_numbers = csv("apples,pears\nplums,figs\n");
        assert_eq!(number_column(&no_numbers), None);
        assert_eq!(number_column(&Table::default()), None);
    }

    fn person(row: &InputRow) -> Option<&PersonQuery> {
        row.person.as_ref()
    }

    #[test]
    fn hrs_list_picks_the_email_column_and_reads_people() {
        let table = csv("Name,Email,Phone,Leaving\n\
                         Adele Vance,Adele.Vance@contoso.com,+1 425 555 0109,Friday\n\
                         Alex Wilber,alex.wilber@contoso.com,,Monday\n");
        assert_eq!(table.header, names(&["Name", "Email", "Phone", "Leaving"]));
        // A person column's name beats a generic phone column's.
        assert_eq!(number_column(&table), Some(1));
        let rows = rows_for_column(&table, 1);
        assert_eq!(
            person(&rows[0]),
            Some(&PersonQuery::Address("Adele.Vance@contoso.com".into()))
        );
        assert_eq!(rows[1].line, 3);
        // The admin may choose the names instead: display names are people there.
        let names_column = rows_for_column(&table, 0);
        assert_eq!(
            person(&names_column[1]),
            Some(&PersonQuery::Name("Alex Wilber".into()))
        );
        // And the phone column stays numbers.
        let phones = rows_for_column(&table, 2);
        assert!(phones[0].number.is_ok() && phones[0].person.is_none());
    }

    #[test]
    fn person_column_names_are_known_and_a_teams_number_name_still_wins() {
        for name in [
            "UserPrincipalName",
            "UPN",
            "E-mail",
            "Mail",
            "User",
            "user name",
        ] {
            let table = csv(&format!("Department,{name}\nSales,adele@contoso.com\n"));
            assert!(table.header.is_some(), "{name}");
            assert_eq!(number_column(&table), Some(1), "{name}");
        }
        let teams = csv("UserPrincipalName,LineURI\nadele@contoso.com,tel:+12065550100\n");
        assert_eq!(number_column(&teams), Some(1));
        // No header: the first row of addresses is data, found by its content.
        let bare = csv("adele@contoso.com,Sales\nalex@contoso.com,Legal\n");
        assert_eq!(bare.header, None);
        assert_eq!(number_column(&bare), Some(0));
        assert!(is_people_column(&bare, 0) && !is_people_column(&bare, 1));
    }

    #[test]
    fn a_pasted_list_mixes_numbers_and_people() {
        let table = parse_pasted(
            "+1 206 555 0100\nadele@contoso.com\nsip:Alex@Contoso.com\nAlex Wilber\n\
             ADELE@contoso.com\nnot a number",
        )
        .unwrap();
        assert_eq!(number_column(&table), Some(0));
        let rows = rows_for_column(&table, 0);
        assert!(rows[0].number.is_ok() && rows[0].person.is_none());
        assert_eq!(
            person(&rows[1]),
            Some(&PersonQuery::Address("adele@contoso.com".into()))
        );
        assert_eq!(
            person(&rows[2]),
            Some(&PersonQuery::Address("Alex@Contoso.com".into())),
            "sip: is dropped"
        );
        // A list with people in it takes names too ("not a number" is searched as one).
        assert_eq!(
            person(&rows[3]),
            Some(&PersonQuery::Name("Alex Wilber".into()))
        );
        assert_eq!(
            rows[4].duplicate_of,
            Some(1),
            "the same address, ignoring case"
        );
        assert!(rows[5].person.is_some());
        // A list of numbers alone keeps words as rows that are not numbers.
        let numbers = parse_pasted("+1 206 555 0100\ncall Adele").unwrap();
        let rows = rows_for_column(&numbers, 0);
        assert!(rows[1].person.is_none() && rows[1].number.is_err());
    }

    #[test]
    fn the_same_number_written_two_ways_is_a_duplicate() {
        let table = parse_pasted(
            "+1 (206) 555-0100\ntel:+12065550100\n+12065550101\n+1 206 555 0100;ext=5\n\
             +1 206 555 0101\nnot a number\nnot a number\n12065550100",
        )
        .unwrap();
        let rows = rows_for_column(&table, 0);
        let duplicates: Vec<Option<usize>> = rows.iter().map(|row| row.duplicate_of).collect();
        assert_eq!(
            duplicates,
            vec![None, Some(0), None, None, Some(2), None, None, Some(0)]
        );
        assert_eq!(rows[1].raw, "tel:+12065550100");
        assert_eq!(rows[1].line, 2);
    }

    fn numbers_csv(header: bool, rows: usize) -> String {
        let mut text = String::from(if header { "Phone number\n" } else { "" });
        for index in 0..rows {
            text.push_str(&format!(
                "+1 206 {:03} {:04}\n",
                200 + index / 10_000,
                index % 10_000
            ));
        }
        text
    }

    #[test]
    fn ten_thousand_rows_are_taken_and_one_more_is_refused() {
        let table = csv(&numbers_csv(false, MAX_ROWS));
        assert_eq!(table.rows.len(), MAX_ROWS);
        let with_header = csv(&numbers_csv(true, MAX_ROWS));
        assert_eq!(with_header.rows.len(), MAX_ROWS);
        assert_eq!(with_header.lines.last(), Some(&(MAX_ROWS + 1)));
        let rows = rows_for_column(&with_header, 0);
        assert!(rows.iter().all(|row| row.duplicate_of.is_none()));

        for header in [false, true] {
            let refused = parse_csv(numbers_csv(header, MAX_ROWS + 1).as_bytes());
            assert_eq!(refused, Err(InputError::TooManyRows { rows: 10_001 }));
        }
        let message = InputError::TooManyRows { rows: 10_001 }.to_string();
        assert!(
            message.contains("10,001") && message.contains("Split"),
            "{message}"
        );

        let list = numbers_csv(false, MAX_ROWS);
        assert_eq!(parse_pasted(&list).unwrap().rows.len(), MAX_ROWS);
        let spaced = list.replace('\n', "\n\n");
        assert_eq!(parse_pasted(&spaced).unwrap().rows.len(), MAX_ROWS);
        assert_eq!(
            parse_pasted(&numbers_csv(false, 12_345)),
            Err(InputError::TooManyRows { rows: 12_345 })
        );
    }

    #[test]
    fn text_in_another_encoding_is_refused_with_the_excel_hint() {
        // Latin-1, as Excel's plain "CSV" saves it in Western Europe.
        let latin1: &[u8] = b"Name;Number\nJos\xe9 Garc\xeda;+34 91 123 4567\n";
        let error = parse_csv(latin1).unwrap_err();
        assert_eq!(error, InputError::NotUtf8 { line: 2 });
        assert!(error.to_string().contains("CSV UTF-8"), "{error}");

        let workbook = b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml";
        let error = parse_csv(workbook).unwrap_err();
        assert_eq!(error, InputError::NotText);
        assert!(error.to_string().contains("CSV UTF-8"), "{error}");
        assert_eq!(parse_csv(b"+12065550100\0\0\n"), Err(InputError::NotText));
    }

    #[test]
    fn utf16_from_excel_unicode_text_is_read() {
        let text = "Name\tNumber\r\nJosé\t+34 91 123 4567\r\n";
        let little: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let big: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        for bytes in [&little, &big] {
            let table = parse_csv(bytes).unwrap();
            assert_eq!(table.delimiter, b'\t');
            assert_eq!(table.header, names(&["Name", "Number"]));
            assert_eq!(table.rows, cells(&[&["José", "+34 91 123 4567"]]));
        }
        let mut odd = little.clone();
        odd.push(b'x');
        assert_eq!(parse_csv(&odd), Err(InputError::NotUtf8 { line: 3 }));
    }

    #[test]
    fn a_one_megabyte_cell_is_cut_and_its_row_says_so() {
        let huge = "9".repeat(1 << 20);
        let text = format!(
            "Name,Number,Note\nAdele,+12065550100,\"{}, quoted\"\nAlex,{huge},\n",
            "x".repeat(1 << 20)
        );
        let table = csv(&text);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.shortened, vec![(0, 2), (1, 1)]);
        assert_eq!(table.rows[1][1].chars().count(), MAX_CELL_CHARS + 1);
        assert!(table.rows[1][1].ends_with('…'));
        assert_eq!(number_column(&table), Some(1));
        let rows = rows_for_column(&table, 1);
        assert!(rows[0].number.is_ok());
        let message = rows[1].number.as_ref().unwrap_err();
        assert!(message.contains("1,000 characters"), "{message}");

        let pasted = parse_pasted(&format!("+12065550100\n{huge}\n")).unwrap();
        assert_eq!(pasted.shortened, vec![(1, 0)]);
        assert!(rows_for_column(&pasted, 0)[1].number.is_err());
    }

    #[test]
    fn a_teams_export_with_line_uris() {
        // Export-Csv quotes every cell; a hand-made file may not, and its ;ext= is no delimiter.
        let quoted = csv("\"DisplayName\",\"LineURI\"\r\n\
                          \"Adele Vance\",\"tel:+12065551000;ext=524\"\r\n\
                          \"Alex Wilber\",\"tel:+12065551001\"\r\n");
        let plain = csv("DisplayName,LineURI\n\
                         Adele Vance,tel:+12065551000;ext=524\n\
                         Alex Wilber,tel:+12065551001\n");
        assert_eq!(quoted, plain);
        assert_eq!(plain.delimiter, b',');
        // Without a header, every row has one `,` and one `;`: the `;ext=` must not count.
        let headerless = csv("Adele Vance,tel:+12065551000;ext=524\n\
                              Alex Wilber,tel:+12065551001;ext=525\n");
        assert_eq!(headerless.delimiter, b',');
        assert_eq!(headerless.rows[1][1], "tel:+12065551001;ext=525");
        assert_eq!(number_column(&plain), Some(1));
        let rows = rows_for_column(&plain, 1);
        let first = rows[0].number.as_ref().unwrap();
        assert_eq!(first.graph_form(), "+12065551000;ext=524");
        assert_eq!(
            rows[1].number.as_ref().unwrap().graph_form(),
            "+12065551001"
        );
    }

    #[test]
    fn a_row_with_too_many_cells_is_refused() {
        let wide = format!("Name,Number\n{}\n", vec!["a"; MAX_COLUMNS + 1].join(","));
        assert_eq!(
            parse_csv(wide.as_bytes()),
            Err(InputError::TooManyColumns {
                line: 2,
                columns: 1_001
            })
        );
        let widest_allowed = format!("Number\n{}\n", vec!["a"; MAX_COLUMNS].join(","));
        assert!(parse_csv(widest_allowed.as_bytes()).is_ok());
    }

    #[test]
    fn every_error_says_what_to_do() {
        let errors = [
            InputError::TooManyRows { rows: 10_001 },
            InputError::Empty,
            InputError::NotText,
            InputError::NotUtf8 { line: 2 },
            InputError::TooManyColumns {
                line: 2,
                columns: 1_234,
            },
            InputError::Unreadable {
                line: 3,
                detail: "broken".into(),
            },
        ];
        for error in errors {
            let message = error.to_string();
            assert!(message.ends_with('.'), "{message}");
            assert!(
                ["Split", "Paste", "choose", "Save", "save"]
                    .iter()
                    .any(|verb| message.contains(verb)),
                "no next step in: {message}"
            );
        }
        assert!(InputError::TooManyColumns {
            line: 2,
            columns: 1_234
        }
        .to_string()
        .contains("1,234 cells"));
    }

    #[test]
    fn counts_are_spelled_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_001), "10,001");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    /// A number cell that always parses, written the ways admins and exports write them.
    fn number_cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{2}".prop_map(|digits| format!("+1 206 555 01{digits}")),
            "[0-9]{4}".prop_map(|digits| format!("tel:+1206555{digits}")),
            "[0-9]{3}".prop_map(|digits| format!("+44 20 7946 0{digits}")),
            "[0-9]{1,4}".prop_map(|extension| format!("+12065550100;ext={extension}")),
        ]
    }

    /// Free text with every character that makes CSV hard.
    fn text_cell() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 ,;\t\"\r\né€]{0,12}"
    }

    #[derive(Debug, Clone)]
    struct GeneratedFile {
        header: Option<Vec<String>>,
        rows: Vec<Vec<String>>,
        delimiter: u8,
        quote_style: csv::QuoteStyle,
        crlf: bool,
        bom: bool,
    }

    fn generated_file() -> impl Strategy<Value = GeneratedFile> {
        (1usize..5)
            .prop_flat_map(|columns| {
                let row = (
                    number_cell(),
                    proptest::collection::vec(text_cell(), columns - 1),
                    1..=columns,
                )
                    .prop_map(|(number, rest, length)| {
                        let mut row = vec![number];
                        row.extend(rest);
                        row.truncate(length);
                        row
                    });
                (
                    proptest::option::of(proptest::collection::vec("[A-Za-z ]{1,10}", columns - 1)),
                    proptest::collection::vec(row, 1..30),
                    proptest::sample::select(DELIMITERS.to_vec()),
                    proptest::sample::select(vec![
                        csv::QuoteStyle::Necessary,
                        csv::QuoteStyle::Always,
                        csv::QuoteStyle::NonNumeric,
                    ]),
                    any::<bool>(),
                    any::<bool>(),
                )
            })
            .prop_map(|(header, mut rows, delimiter, quote_style, crlf, bom)| {
                // Unquoted, another candidate delimiter in every row makes a file truly
                // ambiguous (a person couldn't tell either), so only quoted text keeps them.
                if matches!(quote_style, csv::QuoteStyle::Necessary) {
                    for cell in rows.iter_mut().flat_map(|row| row.iter_mut().skip(1)) {
                        *cell = cell
                            .chars()
                            .map(|c| match c {
                                ',' | ';' | '\t' if c as u32 != u32::from(delimiter) => '_',
                                c => c,
                            })
                            .collect();
                    }
                }
                let header = header.map(|rest| {
                    let mut names = vec!["Phone number".to_string()];
                    names.extend(rest);
                    names
                });
                GeneratedFile {
                    header,
                    rows,
                    delimiter,
                    quote_style,
                    crlf,
                    bom,
                }
            })
    }

    fn written(file: &GeneratedFile) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(file.delimiter)
            .quote_style(file.quote_style)
            .flexible(true)
            .terminator(if file.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(Vec::new());
        for record in file.header.iter().chain(&file.rows) {
            writer.write_record(record).unwrap();
        }
        let written = writer.into_inner().unwrap();
        if file.bom {
            [b"\xEF\xBB\xBF".as_slice(), &written].concat()
        } else {
            written
        }
    }

    fn trimmed(rows: &[Vec<String>]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|cell| cell.trim().to_string()).collect())
            .collect()
    }

    proptest! {
        #[test]
        fn parse_pasted_never_panics(text in any::<String>()) {
            match parse_pasted(&text) {
                Ok(table) => {
                    let column = number_column(&table).unwrap_or(0);
                    prop_assert_eq!(rows_for_column(&table, column).len(), table.rows.len());
                }
                // Short of 10,000 items, a pasted list is refused only when it holds none.
                Err(refused) => prop_assert_eq!(refused, InputError::Empty, "{:?}", text),
            }
        }

        #[test]
        fn parse_csv_never_panics_on_any_bytes(bytes in any::<Vec<u8>>()) {
            match parse_csv(&bytes) {
                Ok(table) => {
                    let column = number_column(&table).unwrap_or(0);
                    prop_assert_eq!(rows_for_column(&table, column).len(), table.rows.len());
                }
                // Most random bytes are no CSV text: refusing them is right, and the refusal
                // still tells the admin what is wrong. (That CSV text parses is checked by
                // `a_written_csv_parses_back_to_the_same_cells`.)
                Err(refused) => prop_assert!(!refused.to_string().is_empty(), "{:?}", refused),
            }
        }

        #[test]
        fn parse_csv_never_panics_on_csv_like_text(
            text in "[,;\t\"\r\n +0-9a-z=:\u{FEFF}é]{0,300}",
        ) {
            match parse_csv(text.as_bytes()) {
                Ok(table) => {
                    prop_assert_eq!(table.lines.len(), table.rows.len());
                    let column = number_column(&table).unwrap_or(0);
                    prop_assert_eq!(rows_for_column(&table, column).len(), table.rows.len());
                }
                // Text, so never refused as binary or as another encoding: as unreadable
                // (a stray quote), too wide, or empty.
                Err(refused) => prop_assert!(
                    matches!(
                        refused,
                        InputError::Unreadable { .. }
                            | InputError::TooManyColumns { .. }
                            | InputError::Empty
                    ),
                    "{:?} for {:?}",
                    refused,
                    text
                ),
            }
        }

        #[test]
        fn a_written_csv_parses_back_to_the_same_cells(file in generated_file()) {
            let bytes = written(&file);
            let table = parse_csv(&bytes).map_err(|refused| {
                TestCaseError::fail(format!("{refused:?}\n{}", String::from_utf8_lossy(&bytes)))
            })?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let header = file.header.as_ref().map(|names| {
                names.iter().map(|name| name.trim().to_string()).collect::<Vec<_>>()
            });
            prop_assert_eq!(&table.header, &header, "{}", text);
            prop_assert_eq!(&table.rows, &trimmed(&file.rows), "{}", text);
            let several_cells = file.header.iter().chain(&file.rows).any(|row| row.len() > 1);
            if several_cells {
                prop_assert_eq!(table.delimiter, file.delimiter, "{}", text);
            }
            prop_assert_eq!(number_column(&table), Some(0), "{}", text);
        }
    }
}
