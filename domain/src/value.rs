//! Value objects: identifiers and validated values with private fields.
//!
//! Each value object is built only through `parse` (or `from_uuid` for ids),
//! so a value that exists is valid. Serde goes through the same `parse`, so
//! decoding an event cannot smuggle in an invalid value. This module knows
//! nothing about aggregates, events or storage.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, ValueKind};

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an id generated outside the domain (the domain never generates ids).
            pub fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, formatter)
            }
        }
    };
}

uuid_id!(
    /// Identifies a sales rep.
    RepId
);
uuid_id!(
    /// Identifies a customer.
    CustomerId
);
uuid_id!(
    /// Identifies a lead handed from marketing to sales.
    LeadId
);
uuid_id!(
    /// Identifies a visit or call.
    VisitId
);
uuid_id!(
    /// Identifies a to-do item on a rep's list.
    TodoId
);
uuid_id!(
    /// Identifies a nurture pack.
    NurturePackId
);
uuid_id!(
    /// Identifies a proposal.
    ProposalId
);
uuid_id!(
    /// Identifies a CSM call-back task (UUIDv5 of `callback:<customer>:<day>`).
    CallbackTaskId
);
uuid_id!(
    /// Identifies a rescue plan for a customer whose renewal quoting is frozen.
    RescuePlanId
);
uuid_id!(
    /// Identifies a renewal quote.
    QuoteId
);
uuid_id!(
    /// Identifies a contract (stream `contract-<uuid>`).
    ContractId
);
uuid_id!(
    /// Identifies a process asset (stream `asset-<uuid>`).
    AssetId
);
uuid_id!(
    /// Identifies a promotion launched by headquarters (stream `promotion-<uuid>`).
    PromotionId
);
uuid_id!(
    /// Identifies an overdue task card (UUIDv5 of
    /// `overdue-card:<contract>:<index>:<department>`).
    TaskCardId
);

/// The largest amount of money a request may carry, in fen (0.01 CNY):
/// 10^13 fen, 100 billion CNY. Amounts are 1 to this many fen, so a
/// contract's 60 instalments total at most 6 * 10^14 fen, exact in a JSON
/// double (below 2^53), and views' sums, which saturate rather than wrap,
/// stay exact for well over a million such amounts (u64 holds 1.8 million
/// of the largest).
pub const MAX_AMOUNT_FEN: u64 = 10_000_000_000_000;

/// Checks an amount of money in fen: 1 to [`MAX_AMOUNT_FEN`]
/// (`invalid_amount` otherwise).
pub fn parse_amount_fen(amount_fen: u64) -> Result<u64, DomainError> {
    if amount_fen == 0 {
        return Err(DomainError::invalid(
            ValueKind::Amount,
            "an amount is greater than 0 fen",
        ));
    }
    if amount_fen > MAX_AMOUNT_FEN {
        return Err(DomainError::invalid(
            ValueKind::Amount,
            format!(
                "an amount is at most {MAX_AMOUNT_FEN} fen (100 billion CNY), got {amount_fen}"
            ),
        ));
    }
    Ok(amount_fen)
}

/// The OID-namespace UUIDv5 of `name`: deterministic ids the domain derives
/// itself (call-back tasks, overdue task cards), so replay and re-runs give
/// the same id.
pub fn uuid_v5(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

macro_rules! string_value {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                $name::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }
    };
}

fn has_control_characters(text: &str) -> bool {
    text.chars().any(|character| character.is_control())
}

/// Converts full-width ASCII variants (U+FF01..U+FF5E) and the ideographic
/// space to their half-width forms.
pub fn to_half_width(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(character as u32 - 0xFEE0).unwrap_or(character)
            }
            other => other,
        })
        .collect()
}

/// The person who performed an action (a login name or employee number).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActorId(String);
string_value!(ActorId);

impl ActorId {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 64 || has_control_characters(trimmed) {
            return Err(DomainError::invalid(
                ValueKind::ActorId,
                "1 to 64 printable characters",
            ));
        }
        Ok(ActorId(trimmed.to_owned()))
    }
}

/// A rep's capability, e.g. `iso13485`, `tier3-hospital-his`.
///
/// Lowercase ASCII letters, digits and `-`, 2 to 48 characters, starting
/// with a letter or digit. Parsing lowercases the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CapabilityTag(String);
string_value!(CapabilityTag);

impl CapabilityTag {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let lowered = raw.trim().to_ascii_lowercase();
        let length_ok = (2..=48).contains(&lowered.len());
        let characters_ok = lowered.chars().all(|character| {
            character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-'
        });
        let starts_ok = lowered
            .chars()
            .next()
            .is_some_and(|character| character.is_ascii_alphanumeric());
        if !(length_ok && characters_ok && starts_ok) {
            return Err(DomainError::invalid(
                ValueKind::CapabilityTag,
                format!("{raw}: 2 to 48 of a-z 0-9 -, starting with a letter or digit"),
            ));
        }
        Ok(CapabilityTag(lowered))
    }
}

/// The 3 to 5 distinct capability tags a rep carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<CapabilityTag>", into = "Vec<CapabilityTag>")]
pub struct CapabilityTags(BTreeSet<CapabilityTag>);

impl CapabilityTags {
    pub const MIN: usize = 3;
    pub const MAX: usize = 5;

    pub fn parse<S: AsRef<str>>(raw_tags: &[S]) -> Result<Self, DomainError> {
        let tags = raw_tags
            .iter()
            .map(|raw| CapabilityTag::parse(raw.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_tags(tags)
    }

    pub fn from_tags(tags: Vec<CapabilityTag>) -> Result<Self, DomainError> {
        let n_tags = tags.len();
        let distinct: BTreeSet<CapabilityTag> = tags.into_iter().collect();
        if distinct.len() != n_tags {
            return Err(DomainError::invalid(
                ValueKind::CapabilityTag,
                "capability tags must be distinct",
            ));
        }
        if !(Self::MIN..=Self::MAX).contains(&n_tags) {
            return Err(DomainError::CapabilityTagCount { count: n_tags });
        }
        Ok(CapabilityTags(distinct))
    }

    pub fn iter(&self) -> impl Iterator<Item = &CapabilityTag> {
        self.0.iter()
    }

    pub fn contains(&self, tag: &CapabilityTag) -> bool {
        self.0.contains(tag)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<CapabilityTag>> for CapabilityTags {
    type Error = DomainError;
    fn try_from(tags: Vec<CapabilityTag>) -> Result<Self, Self::Error> {
        CapabilityTags::from_tags(tags)
    }
}

impl From<CapabilityTags> for Vec<CapabilityTag> {
    fn from(tags: CapabilityTags) -> Self {
        tags.0.into_iter().collect()
    }
}

/// A sales region, e.g. `east-china` or `华东`. Free text, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);
string_value!(Region);

impl Region {
    /// The region of a rep registered before regions were recorded (RepRegistered v1).
    pub const UNASSIGNED: &'static str = "unassigned";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 64 || has_control_characters(trimmed) {
            return Err(DomainError::invalid(
                ValueKind::Region,
                "1 to 64 printable characters",
            ));
        }
        Ok(Region(trimmed.to_owned()))
    }

    pub fn unassigned() -> Self {
        Region(Self::UNASSIGNED.to_owned())
    }

    /// Comparison key: half-width, lowercase, without whitespace.
    pub fn normalised(&self) -> String {
        normalise_attribute_text(&self.0)
    }
}

/// A company's legal or trading name as entered (trimmed, 1 to 200 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CompanyName(String);
string_value!(CompanyName);

const ENGLISH_COMPANY_SUFFIXES: &[&str] = &[
    "co",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "llc",
    "gmbh",
    "company",
    "plc",
];

const CHINESE_COMPANY_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
];

impl CompanyName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 200 || has_control_characters(trimmed) {
            return Err(DomainError::invalid(
                ValueKind::CompanyName,
                "1 to 200 printable characters",
            ));
        }
        if normalise_company_name(trimmed).is_empty() {
            return Err(DomainError::invalid(
                ValueKind::CompanyName,
                "the name has no letters or digits",
            ));
        }
        Ok(CompanyName(trimmed.to_owned()))
    }

    /// The duplicate-detection key, see [`normalise_company_name`].
    pub fn normalised(&self) -> String {
        normalise_company_name(&self.0)
    }
}

fn one_normalisation_pass(text: &str) -> String {
    let half_width = to_half_width(text).to_lowercase();
    let spaced: String = half_width
        .chars()
        .map(|character| {
            if character.is_alphanumeric() {
                character
            } else {
                ' '
            }
        })
        .collect();
    let mut tokens: Vec<String> = spaced.split_whitespace().map(str::to_owned).collect();
    while let Some(last) = tokens.last_mut() {
        let is_whole_suffix = ENGLISH_COMPANY_SUFFIXES.contains(&last.as_str())
            || CHINESE_COMPANY_SUFFIXES.contains(&last.as_str());
        if is_whole_suffix {
            if tokens.len() > 1 {
                tokens.pop();
                continue;
            }
            break;
        }
        let stripped_suffix = CHINESE_COMPANY_SUFFIXES
            .iter()
            .find(|suffix| last.ends_with(*suffix));
        match stripped_suffix {
            Some(suffix) => {
                let kept = last.len() - suffix.len();
                last.truncate(kept);
            }
            None => break,
        }
    }
    tokens.concat()
}

/// Normalises a company name for duplicate detection (撞单): full-width to
/// half-width, lowercase, punctuation and whitespace removed, and common
/// legal-form suffixes (有限公司, 股份有限公司, Co., Ltd., Inc., ...) stripped.
/// Idempotent: it repeats one pass until the text no longer changes.
pub fn normalise_company_name(raw: &str) -> String {
    let mut current = one_normalisation_pass(raw);
    loop {
        let next = one_normalisation_pass(&current);
        if next == current {
            return current;
        }
        current = next;
    }
}

/// Normalises free attribute text for matching: half-width, lowercase,
/// letters and digits only.
pub fn normalise_attribute_text(raw: &str) -> String {
    to_half_width(raw)
        .to_lowercase()
        .chars()
        .filter(|character| character.is_alphanumeric())
        .collect()
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015).
///
/// 18 characters from `0-9 A-H J-N P-R T U W-Y` (no I, O, Z, S, V); the
/// characters 3 to 8 are the administrative division code (digits); the last
/// one is the check character computed with weights 3^i mod 31.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnifiedSocialCreditCode(String);
string_value!(UnifiedSocialCreditCode);

const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl UnifiedSocialCreditCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code: String = to_half_width(raw)
            .chars()
            .filter(|character| !character.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let invalid =
            |reason: &str| DomainError::invalid(ValueKind::UnifiedSocialCreditCode, reason);
        if code.chars().count() != 18 {
            return Err(invalid("must be 18 characters"));
        }
        let values = code
            .chars()
            .map(|character| USCC_ALPHABET.find(character).map(|index| index as u32))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(|| invalid("characters must be 0-9 or A-Y without I, O, Z, S, V"))?;
        if !code[2..8]
            .chars()
            .all(|character| character.is_ascii_digit())
        {
            return Err(invalid(
                "characters 3 to 8 must be an administrative division code",
            ));
        }
        let weighted_sum: u32 = values
            .iter()
            .zip(USCC_WEIGHTS.iter())
            .map(|(value, weight)| value * weight)
            .sum();
        let expected_check = (31 - weighted_sum % 31) % 31;
        if values.get(17) != Some(&expected_check) {
            return Err(invalid("check character does not match"));
        }
        Ok(UnifiedSocialCreditCode(code))
    }
}

/// A phone number, stored normalised: digits only, without separators, in
/// the domestic form. A Chinese country code (`+86`, `0086`, or `86` before
/// an 11-digit mobile) is dropped and a landline gets its trunk 0 back, so
/// `+86 21 6123 4567`, `021-61234567` and `02161234567` are the same number
/// (`+86 10 ...` is Beijing, `010`). Mainland mobiles are 11 digits starting
/// with 1; numbers with another country code keep their digits (without the
/// `+`); 7 to 15 digits overall.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
string_value!(Phone);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let half_width = to_half_width(raw);
        let trimmed = half_width.trim();
        let has_plus = trimmed.starts_with('+');
        let allowed = trimmed
            .chars()
            .all(|character| character.is_ascii_digit() || " -().+/".contains(character));
        if !allowed || trimmed.matches('+').count() > usize::from(has_plus) {
            return Err(DomainError::invalid(
                ValueKind::Phone,
                "digits, spaces, dashes, dots and parentheses only",
            ));
        }
        let all_digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        // A Chinese country code (`+86`, `0086`) is dropped and the national
        // number written in its domestic form; `86` before an 11-digit mobile
        // is dropped too. Other numbers (domestic, or `+` with another
        // country code) keep their digits.
        let digits = if has_plus {
            if all_digits.starts_with('0') {
                // `+` is the international prefix: a country code follows,
                // never a second prefix (`+0086`) or a trunk 0.
                return Err(DomainError::invalid(
                    ValueKind::Phone,
                    "a country code (1 to 9 first) after the +",
                ));
            }
            match all_digits.strip_prefix("86") {
                Some(national) => domestic_phone_form(national)?,
                None => all_digits,
            }
        } else if let Some(national) = all_digits.strip_prefix("0086") {
            domestic_phone_form(national)?
        } else if all_digits.len() == 13 && all_digits.starts_with("861") {
            all_digits[2..].to_owned()
        } else {
            all_digits
        };
        if !(7..=15).contains(&digits.len()) {
            return Err(DomainError::invalid(ValueKind::Phone, "7 to 15 digits"));
        }
        if digits.starts_with('1') && digits.len() != 11 {
            return Err(DomainError::invalid(
                ValueKind::Phone,
                "a mainland mobile number has 11 digits",
            ));
        }
        Ok(Phone(digits))
    }
}

/// The domestic form of the national number written after a `+86`/`0086`
/// country code: a mobile (1 then 10 digits, checked by the caller) as it
/// is; a landline with its trunk 0, added unless already written
/// (`+86 (0)21 ...`). Beijing's area code 010 is written `+86 10 ...`; no
/// mobile starts with 10. A nationwide service number (400 or 800, ten
/// digits) has no trunk 0. `00` would be a second international prefix.
fn domestic_phone_form(national: &str) -> Result<String, DomainError> {
    if national.starts_with("00") {
        return Err(DomainError::invalid(
            ValueKind::Phone,
            "no second international prefix after the country code",
        ));
    }
    let is_mobile = national.starts_with('1') && !national.starts_with("10");
    let is_service =
        national.len() == 10 && (national.starts_with("400") || national.starts_with("800"));
    if is_mobile || is_service || national.starts_with('0') {
        Ok(national.to_owned())
    } else {
        Ok(format!("0{national}"))
    }
}

/// An e-mail address, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);
string_value!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let lowered = raw.trim().to_lowercase();
        let invalid =
            || DomainError::invalid(ValueKind::Email, format!("{raw} is not an e-mail address"));
        if lowered.len() > 254
            || lowered
                .chars()
                .any(|character| character.is_whitespace() || character.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = lowered.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(lowered))
    }
}

/// The key of a dynamic customer attribute: `[a-z0-9_]{1,40}`, e.g.
/// `industry`, `decision_chain`, `compliance`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttributeKey(String);
string_value!(AttributeKey);

impl AttributeKey {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let lowered = raw.trim().to_ascii_lowercase();
        let ok = (1..=40).contains(&lowered.len())
            && lowered.chars().all(|character| {
                character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_'
            });
        if !ok {
            return Err(DomainError::invalid(
                ValueKind::AttributeKey,
                format!("{raw}: 1 to 40 of a-z 0-9 _"),
            ));
        }
        Ok(AttributeKey(lowered))
    }
}

/// The value of a dynamic attribute, 1 to 200 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttributeValue(String);
string_value!(AttributeValue);

impl AttributeValue {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > 200 || has_control_characters(trimmed) {
            return Err(DomainError::invalid(
                ValueKind::AttributeValue,
                "1 to 200 printable characters",
            ));
        }
        Ok(AttributeValue(trimmed.to_owned()))
    }

    /// Comparison key, see [`normalise_attribute_text`].
    pub fn normalised(&self) -> String {
        normalise_attribute_text(&self.0)
    }
}

/// Up to 12 dynamic attributes of a customer or lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<AttributeKey, AttributeValue>",
    into = "BTreeMap<AttributeKey, AttributeValue>"
)]
pub struct CustomerAttributes(BTreeMap<AttributeKey, AttributeValue>);

impl CustomerAttributes {
    pub const MAX: usize = 12;

    pub fn parse<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Result<Self, DomainError> {
        let mut attributes = BTreeMap::new();
        for (raw_key, raw_value) in pairs {
            let key = AttributeKey::parse(raw_key.as_ref())?;
            let value = AttributeValue::parse(raw_value.as_ref())?;
            if attributes.insert(key, value).is_some() {
                return Err(DomainError::invalid(
                    ValueKind::AttributeKey,
                    format!("{} given twice", raw_key.as_ref()),
                ));
            }
        }
        Self::from_map(attributes)
    }

    pub fn from_map(
        attributes: BTreeMap<AttributeKey, AttributeValue>,
    ) -> Result<Self, DomainError> {
        if attributes.len() > Self::MAX {
            return Err(DomainError::TooManyAttributes {
                count: attributes.len(),
                max: Self::MAX,
            });
        }
        Ok(CustomerAttributes(attributes))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&AttributeKey, &AttributeValue)> {
        self.0.iter()
    }

    pub fn get(&self, key: &str) -> Option<&AttributeValue> {
        self.0
            .iter()
            .find(|(attribute_key, _)| attribute_key.as_str() == key)
            .map(|(_, value)| value)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Merges `changes` over these attributes; the result still holds at most 12.
    pub fn merged_with(&self, changes: &CustomerAttributes) -> Result<Self, DomainError> {
        let mut merged = self.0.clone();
        for (key, value) in &changes.0 {
            merged.insert(key.clone(), value.clone());
        }
        Self::from_map(merged)
    }
}

impl TryFrom<BTreeMap<AttributeKey, AttributeValue>> for CustomerAttributes {
    type Error = DomainError;
    fn try_from(attributes: BTreeMap<AttributeKey, AttributeValue>) -> Result<Self, Self::Error> {
        CustomerAttributes::from_map(attributes)
    }
}

impl From<CustomerAttributes> for BTreeMap<AttributeKey, AttributeValue> {
    fn from(attributes: CustomerAttributes) -> Self {
        attributes.0
    }
}

/// A lowercase hex SHA-256 digest (64 characters) of a stored blob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);
string_value!(Sha256Hex);

impl Sha256Hex {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let lowered = raw.trim().to_ascii_lowercase();
        if lowered.len() != 64
            || !lowered
                .chars()
                .all(|character| character.is_ascii_hexdigit())
        {
            return Err(DomainError::invalid(
                ValueKind::Sha256Hex,
                "64 hex characters",
            ));
        }
        Ok(Sha256Hex(lowered))
    }
}

/// Free text (titles, notes, messages): trimmed, 1 to 20 000 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);
string_value!(Text);

impl Text {
    pub const MAX_CHARS: usize = 20_000;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                ValueKind::Text,
                "1 to 20000 characters",
            ));
        }
        Ok(Text(trimmed.to_owned()))
    }
}

/// An IPv4 or IPv6 address, stored in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpAddress(String);
string_value!(IpAddress);

impl IpAddress {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        raw.trim()
            .parse::<std::net::IpAddr>()
            .map(|address| IpAddress(address.to_string()))
            .map_err(|_| {
                DomainError::invalid(ValueKind::IpAddress, format!("{raw} is not an IP address"))
            })
    }
}

/// Rule shared by references coming from other systems (ticket numbers,
/// payment references, success-reference ids): 1 to 64 of `A-Z a-z 0-9 . _ : -`.
fn parse_external_ref(raw: &str, value_kind: ValueKind) -> Result<String, DomainError> {
    let trimmed = raw.trim();
    let ok = (1..=64).contains(&trimmed.len())
        && trimmed.chars().all(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | ':' | '-')
        });
    if !ok {
        return Err(DomainError::invalid(
            value_kind,
            format!("{raw}: 1 to 64 of A-Z a-z 0-9 . _ : -"),
        ));
    }
    Ok(trimmed.to_owned())
}

macro_rules! external_ref {
    ($(#[$meta:meta])* $name:ident, $value_kind:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);
        string_value!($name);

        impl $name {
            /// 1 to 64 of `A-Z a-z 0-9 . _ : -` (trimmed, case kept).
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                parse_external_ref(raw, $value_kind).map($name)
            }
        }
    };
}

external_ref!(
    /// A support ticket's number in the ticketing system, unique per account.
    TicketRef,
    ValueKind::TicketRef
);
external_ref!(
    /// A payment's reference (bank transaction or receipt number), unique per contract.
    PaymentRef,
    ValueKind::PaymentRef
);
external_ref!(
    /// A success reference's id (case study, reference call), unique per account.
    ReferenceRef,
    ValueKind::ReferenceRef
);
external_ref!(
    /// A chain store's code, e.g. `S0001` (stream `store-<code>`).
    StoreCode,
    ValueKind::StoreCode
);
external_ref!(
    /// A stock-keeping unit's code, e.g. `SKU-0042` (stream `sku-<code>`).
    SkuCode,
    ValueKind::SkuCode
);
external_ref!(
    /// A loyalty member's card number (stream `member-<ref>`).
    MemberRef,
    ValueKind::MemberRef
);
external_ref!(
    /// A POS ticket's number, unique per store.
    PosTicketRef,
    ValueKind::PosTicketRef
);
external_ref!(
    /// The id a POS system gives one bulk batch (stream `pos-<batch id>`);
    /// a batch id is accepted once.
    PosBatchId,
    ValueKind::PosBatchId
);

fn parse_lowercase_name(
    raw: &str,
    max_chars: usize,
    value_kind: ValueKind,
) -> Result<String, DomainError> {
    let lowered = raw.trim().to_lowercase();
    if lowered.is_empty() || lowered.chars().count() > max_chars || has_control_characters(&lowered)
    {
        return Err(DomainError::invalid(
            value_kind,
            format!("{raw}: 1 to {max_chars} printable characters"),
        ));
    }
    Ok(lowered)
}

/// A subscription plan, e.g. `basic`, `standard`, `enterprise`: trimmed,
/// lowercased, 1 to 32 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlanName(String);
string_value!(PlanName);

impl PlanName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_lowercase_name(raw, 32, ValueKind::PlanName).map(PlanName)
    }
}

/// A product module, e.g. `crm`, `reports`, `workflow`: trimmed, lowercased,
/// 1 to 64 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModuleName(String);
string_value!(ModuleName);

impl ModuleName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_lowercase_name(raw, 64, ValueKind::ModuleName).map(ModuleName)
    }
}

/// A (competitor) keyword a customer searched, e.g. `西门子`, `siemens`:
/// trimmed, lowercased, 1 to 64 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Keyword(String);
string_value!(Keyword);

impl Keyword {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_lowercase_name(raw, 64, ValueKind::Keyword).map(Keyword)
    }
}

#[cfg(test)]
mod tests {
    //! `Phone::parse` with a Chinese country code (`+86`, `0086`, `86` before
    //! an 11-digit mobile) normalises to the domestic form, so that duplicate
    //! detection (docs/SPEC.md C3, "the same phone number") sees one number
    //! written two ways as the same.

    use super::Phone;

    fn normalised(raw: &str) -> Result<String, String> {
        Phone::parse(raw)
            .map(String::from)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn chinese_numbers_with_a_country_code_normalise_to_the_domestic_form() {
        for (raw, expected) in [
            // mobiles: as they are
            ("+86 138-0013-8000", "13800138000"),
            ("0086 13800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("+8613800138000", "13800138000"),
            ("13800138000", "13800138000"),
            // landlines: the trunk 0 is restored
            ("+86 21 6123 4567", "02161234567"),
            ("+86-21-61234567", "02161234567"),
            ("0086 21 6123 4567", "02161234567"),
            ("021-61234567", "02161234567"),
            ("(021) 6123-4567", "02161234567"),
            ("02161234567", "02161234567"),
            ("+86 571-8888-6666", "057188886666"),
            ("0571-8888-6666", "057188886666"),
            // Beijing, area code 010: starts with 1 once the 0 is dropped
            ("+86 10 1234 5678", "01012345678"),
            ("0086 10 1234 5678", "01012345678"),
            ("010-12345678", "01012345678"),
            // the trunk 0 already written after the country code: no second 0
            ("+86 (0)21 6123 4567", "02161234567"),
            ("+86 021 6123 4567", "02161234567"),
            ("0086 021-61234567", "02161234567"),
            ("+86 (0)10 1234 5678", "01012345678"),
            // other countries keep their digits
            ("+44 20 7946 0958", "442079460958"),
            ("+852 2123 4567", "85221234567"),
            ("+1 212 555 1234", "12125551234"),
            // domestic numbers without country code: as today
            ("6123 4567", "61234567"),
            ("862161234567", "862161234567"),
        ] {
            assert_eq!(normalised(raw), Ok(expected.to_owned()), "{raw}");
        }
    }

    #[test]
    fn the_same_number_written_two_ways_is_equal() {
        for (left, right) in [
            ("+86 21 6123 4567", "021-61234567"),
            ("+86 21 6123 4567", "02161234567"),
            ("0086 21 6123 4567", "021 6123 4567"),
            ("+86 10 1234 5678", "010-12345678"),
            ("+86 (0)21 6123 4567", "021-61234567"),
            ("+86 571-8888-6666", "0571 8888 6666"),
            ("+86 138 0013 8000", "138-0013-8000"),
        ] {
            let left_phone = Phone::parse(left).expect(left);
            let right_phone = Phone::parse(right).expect(right);
            assert_eq!(left_phone, right_phone, "{left} == {right}");
        }
    }

    #[test]
    fn invalid_numbers_stay_invalid() {
        for raw in [
            // a domestic number starting with 1 must be an 11-digit mobile
            "1012345678",
            "1380013800",
            // after +86, a 1 other than Beijing's 10 is a mobile: 11 digits
            "+86 138 0013 800",
            "+86 138 0013 80000",
            // 00 after the country code is an international prefix, not a number
            "+86 0086 21 6123 4567",
            "0086 0086 21 6123 4567",
            // length and characters
            "+86 12",
            "123",
            "call me",
            "+86+138",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}: {:?}", normalised(raw));
        }
    }

    #[test]
    fn normalised_numbers_parse_to_themselves() {
        for raw in [
            "+86 21 6123 4567",
            "+86 10 1234 5678",
            "+86 (0)21 6123 4567",
            "0086 571 8888 6666",
            "+86 86 1234 5678",
            "+44 20 7946 0958",
            "8613800138000",
            "+86 400 820 8820",
        ] {
            let phone = Phone::parse(raw).expect(raw);
            assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()), "{raw}");
        }
    }

    #[test]
    fn service_numbers_take_no_trunk_zero_and_plus_takes_no_zero() {
        for (left, right) in [
            ("+86 400 820 8820", "400-820-8820"),
            ("0086 800 810 8888", "800 810 8888"),
        ] {
            assert_eq!(normalised(left), normalised(right), "{left} {right}");
        }
        assert_eq!(normalised("+86 400 820 8820"), Ok("4008208820".to_owned()));
        for raw in ["+0086 21 6123 4567", "+021 6123 4567"] {
            assert!(Phone::parse(raw).is_err(), "{raw}: {:?}", normalised(raw));
        }
    }

    proptest::proptest! {
        /// Whatever is accepted is stored in a form that parses to itself
        /// (events store the normalised digits and decode through `parse`).
        #[test]
        fn every_accepted_number_parses_to_itself(
            prefix in proptest::sample::select(vec!["", "+", "+86", "+86 ", "0086", "86", "+0", "00", "0"]),
            digits in proptest::collection::vec(0u8..10, 4..16),
            separators in proptest::collection::vec(proptest::sample::select(vec!["", " ", "-", "(", ")", "."]), 16),
        ) {
            let mut raw = prefix.to_owned();
            for (index, digit) in digits.iter().enumerate() {
                raw.push(char::from(b'0' + digit));
                raw.push_str(separators[index % separators.len()]);
            }
            if let Ok(phone) = Phone::parse(&raw) {
                proptest::prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()), "{}", raw);
            }
        }
    }
}
