//! Transcript extraction (SPEC C4): competitors, purchase time window,
//! technical concerns and the customer's stance, from free text in Chinese
//! and English.
//!
//! Everything configurable is data: the [`ExtractionDictionary`] (published
//! as `ExtractionDictionaryPublished` on `config-extraction`). Time phrases
//! are resolved against the visit's local date, passed in; this module never
//! reads the clock and knows nothing of visits, streams or storage.
//!
//! Matching is case-insensitive on the lowercased transcript. Terms that
//! start or end with an ASCII letter or digit must sit on a word boundary
//! (so `SAP` does not match `sapling`); Chinese terms match as substrings.
//!
//! Purchase window: every time phrase found is resolved to a date range;
//! overlapping phrases keep the longest (`明年年底` beats `年底`). The chosen
//! phrase is the one nearest to a purchase cue (采购, 下单, buy, sign, ...;
//! not 预算/budget, which names budget years as often as purchase dates);
//! ties and the no-cue case go to the earliest phrase. When a range reaches
//! the visit day or later, it never starts before the visit day.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerStance;
use crate::error::{DomainError, ValueKind};

/// A competitor and the names it goes by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitorEntry {
    pub name: String,
    pub aliases: Vec<String>,
}

/// A technical concern and the keywords that reveal it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcernEntry {
    pub concern: String,
    pub keywords: Vec<String>,
}

/// The configurable vocabulary of the extractor, versioned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractionDictionary {
    pub version: u32,
    pub competitors: Vec<CompetitorEntry>,
    pub concerns: Vec<ConcernEntry>,
    /// Phrases meaning "still comparing" (还在比较, 再考虑, ...); a `*`
    /// matches up to 12 characters (`还在*比较`).
    pub still_comparing_phrases: Vec<String>,
    /// The offset of the sales organisation's local time from UTC, used to
    /// find the visit's local date.
    pub utc_offset_minutes: i32,
}

/// The competitors of [`ExtractionDictionary::default_v1`]: industrial
/// automation and equipment vendors common in China, by their usual name
/// and their Chinese and English aliases.
const DEFAULT_COMPETITORS: [(&str, &[&str]); 14] = [
    ("Siemens", &["西门子"]),
    ("ABB", &[]),
    ("Schneider Electric", &["施耐德", "Schneider"]),
    (
        "Rockwell Automation",
        &["罗克韦尔", "Rockwell", "Allen-Bradley"],
    ),
    ("Mitsubishi Electric", &["三菱电机", "三菱"]),
    ("Omron", &["欧姆龙"]),
    ("Honeywell", &["霍尼韦尔"]),
    ("Emerson", &["艾默生"]),
    ("Yokogawa", &["横河"]),
    ("Beckhoff", &["倍福"]),
    ("汇川", &["汇川技术", "Inovance"]),
    ("和利时", &["Hollysys"]),
    ("中控", &["中控技术", "SUPCON"]),
    ("台达", &["Delta Electronics"]),
];

/// The technical concerns of [`ExtractionDictionary::default_v1`].
const DEFAULT_CONCERNS: [(&str, &[&str]); 7] = [
    ("交期", &["交期", "货期", "lead time", "delivery time"]),
    ("兼容性", &["兼容", "接口", "compatibility", "integration"]),
    ("售后", &["售后", "维保", "after-sales", "maintenance"]),
    ("数据安全", &["数据安全", "等保", "data security"]),
    ("部署", &["部署", "私有化", "deployment", "on-premise"]),
    ("培训", &["培训", "training"]),
    ("能耗", &["能耗", "energy consumption"]),
];

/// The "still comparing" phrases of [`ExtractionDictionary::default_v1`].
const DEFAULT_STILL_COMPARING: [&str; 7] = [
    "还在比较",
    "还在*比较",
    "再考虑",
    "再看看",
    "still comparing",
    "think it over",
    "comparing options",
];

impl ExtractionDictionary {
    /// The dictionary a fresh data directory starts with (published at
    /// first start by `system:init`): common competitors and technical
    /// concerns in Chinese and English, the usual "still comparing"
    /// phrases, China Standard Time (UTC+8). Version 1.
    pub fn default_v1() -> Self {
        let owned = |terms: &[&str]| terms.iter().map(|term| (*term).to_owned()).collect();
        ExtractionDictionary {
            version: 1,
            competitors: DEFAULT_COMPETITORS
                .iter()
                .map(|(name, aliases)| CompetitorEntry {
                    name: (*name).to_owned(),
                    aliases: owned(aliases),
                })
                .collect(),
            concerns: DEFAULT_CONCERNS
                .iter()
                .map(|(concern, keywords)| ConcernEntry {
                    concern: (*concern).to_owned(),
                    keywords: owned(keywords),
                })
                .collect(),
            still_comparing_phrases: owned(&DEFAULT_STILL_COMPARING),
            utc_offset_minutes: 8 * 60,
        }
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        let all_terms = self
            .competitors
            .iter()
            .flat_map(|entry| std::iter::once(&entry.name).chain(entry.aliases.iter()))
            .chain(
                self.concerns
                    .iter()
                    .flat_map(|entry| std::iter::once(&entry.concern).chain(entry.keywords.iter())),
            )
            .chain(self.still_comparing_phrases.iter());
        for term in all_terms {
            if term.trim().is_empty() || term.chars().count() > 100 {
                return Err(DomainError::invalid(
                    ValueKind::RuleSet,
                    "dictionary terms are 1 to 100 characters",
                ));
            }
        }
        if self.utc_offset_minutes.unsigned_abs() > 14 * 60 {
            return Err(DomainError::invalid(
                ValueKind::RuleSet,
                "utc offset beyond 14 hours",
            ));
        }
        Ok(())
    }
}

/// A resolved purchase time window, inclusive on both ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseWindow {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    /// The phrase it was resolved from (lowercased), empty when entered by hand.
    pub phrase: String,
}

impl PurchaseWindow {
    pub fn new(
        earliest: NaiveDate,
        latest: NaiveDate,
        phrase: String,
    ) -> Result<Self, DomainError> {
        if latest < earliest {
            return Err(DomainError::invalid(
                ValueKind::PurchaseWindow,
                "the window ends before it starts",
            ));
        }
        Ok(PurchaseWindow {
            earliest,
            latest,
            phrase,
        })
    }
}

/// What the extractor found in one transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extraction {
    /// Canonical competitor names, sorted.
    pub competitors: Vec<String>,
    pub purchase_window: Option<PurchaseWindow>,
    /// Canonical concern names, sorted.
    pub concerns: Vec<String>,
    pub stance: Option<CustomerStance>,
}

/// Extracts competitors, purchase window, concerns and stance from a
/// transcript recorded on `visit_date` (local date).
pub fn extract(
    transcript: &str,
    visit_date: NaiveDate,
    dictionary: &ExtractionDictionary,
) -> Extraction {
    let text = crate::value::to_half_width(transcript).to_lowercase();
    let competitors: BTreeSet<String> = dictionary
        .competitors
        .iter()
        .filter(|entry| {
            std::iter::once(&entry.name)
                .chain(entry.aliases.iter())
                .any(|term| !find_term(&text, term).is_empty())
        })
        .map(|entry| entry.name.clone())
        .collect();
    let concerns: BTreeSet<String> = dictionary
        .concerns
        .iter()
        .filter(|entry| {
            entry
                .keywords
                .iter()
                .any(|term| !find_term(&text, term).is_empty())
        })
        .map(|entry| entry.concern.clone())
        .collect();
    let stance = dictionary
        .still_comparing_phrases
        .iter()
        .any(|phrase| contains_phrase(&text, phrase))
        .then_some(CustomerStance::StillComparing);
    Extraction {
        competitors: competitors.into_iter().collect(),
        purchase_window: resolve_purchase_window(&text, visit_date),
        concerns: concerns.into_iter().collect(),
        stance,
    }
}

fn is_word_character(character: char) -> bool {
    character.is_ascii_alphanumeric()
}

/// Byte positions of `term` in `text` (both compared lowercase), respecting
/// ASCII word boundaries.
fn find_term(text: &str, term: &str) -> Vec<usize> {
    let needle = crate::value::to_half_width(term.trim()).to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    let needs_left_boundary = needle.chars().next().is_some_and(is_word_character);
    let needs_right_boundary = needle.chars().last().is_some_and(is_word_character);
    text.match_indices(&needle)
        .filter(|(start, matched)| {
            let end = start + matched.len();
            let left_ok = !needs_left_boundary
                || !text[..*start]
                    .chars()
                    .next_back()
                    .is_some_and(is_word_character);
            let right_ok =
                !needs_right_boundary || !text[end..].chars().next().is_some_and(is_word_character);
            left_ok && right_ok
        })
        .map(|(start, _)| start)
        .collect()
}

/// How many characters a `*` in a stance phrase may stand for.
pub const PHRASE_GAP_MAX_CHARS: usize = 12;

/// Whether `text` contains `phrase`, where each `*` in the phrase matches up
/// to [`PHRASE_GAP_MAX_CHARS`] characters (`还在*比较` matches `还在和西门子比较`).
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let mut parts = phrase.split('*').filter(|part| !part.trim().is_empty());
    let Some(first) = parts.next() else {
        return false;
    };
    let rest_parts: Vec<&str> = parts.collect();
    find_term(text, first).into_iter().any(|start| {
        let mut cursor = start
            + crate::value::to_half_width(first.trim())
                .to_lowercase()
                .len();
        rest_parts.iter().all(|part| {
            let rest = &text[cursor..];
            let gap_end = rest
                .char_indices()
                .nth(PHRASE_GAP_MAX_CHARS)
                .map_or(rest.len(), |(index, _)| index);
            match find_term(rest, part)
                .into_iter()
                .find(|position| *position <= gap_end)
            {
                Some(position) => {
                    cursor += position
                        + crate::value::to_half_width(part.trim())
                            .to_lowercase()
                            .len();
                    true
                }
                None => false,
            }
        })
    })
}

// ---- time phrases ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relative {
    ThisWeek,
    NextWeek,
    ThisMonth,
    MonthsAhead(u32),
    WithinDays(i64),
    WithinMonths(u32),
    ThisQuarter,
    NextQuarter,
    Quarter {
        quarter: u32,
        years_ahead: Option<i32>,
    },
    Month {
        month: u32,
        years_ahead: Option<i32>,
    },
    EndOfYear {
        years_ahead: i32,
    },
    StartOfYear {
        years_ahead: i32,
    },
    HalfYear {
        half: u32,
        years_ahead: Option<i32>,
    },
    RestOfYear,
    Year {
        years_ahead: i32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FoundWindow {
    start: usize,
    end: usize,
    earliest: NaiveDate,
    latest: NaiveDate,
}

const CHINESE_NUMBERS: [&str; 12] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];
const ENGLISH_NUMBERS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];
const ENGLISH_ORDINALS: [&str; 4] = ["first", "second", "third", "fourth"];
const ENGLISH_MONTHS: [(&str, u32); 21] = [
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
];
const ENGLISH_MONTHS_SHORT_TAIL: [(&str, u32); 3] = [("oct", 10), ("nov", 11), ("dec", 12)];

fn phrase_table() -> Vec<(String, Relative)> {
    let mut table: Vec<(String, Relative)> = Vec::new();
    let mut add = |phrases: &[&str], relative: Relative| {
        for phrase in phrases {
            table.push(((*phrase).to_owned(), relative));
        }
    };
    add(
        &["本周", "这周", "这个星期", "this week"],
        Relative::ThisWeek,
    );
    add(
        &[
            "下周",
            "下个星期",
            "下星期",
            "下礼拜",
            "下个礼拜",
            "next week",
        ],
        Relative::NextWeek,
    );
    add(
        &[
            "两周内",
            "两个星期内",
            "within two weeks",
            "within 2 weeks",
            "in two weeks",
        ],
        Relative::WithinDays(14),
    );
    add(
        &[
            "本月",
            "这个月",
            "月底",
            "this month",
            "end of the month",
            "end of this month",
            "end of month",
        ],
        Relative::ThisMonth,
    );
    add(&["下个月", "下月", "next month"], Relative::MonthsAhead(1));
    add(
        &["下下个月", "the month after next"],
        Relative::MonthsAhead(2),
    );
    add(
        &[
            "半年内",
            "半年之内",
            "within six months",
            "within 6 months",
            "within half a year",
            "in the next six months",
            "next six months",
            "in the next 6 months",
        ],
        Relative::WithinMonths(6),
    );
    add(
        &["一年内", "一年之内", "within a year", "within one year"],
        Relative::WithinMonths(12),
    );
    add(
        &["本季度", "这个季度", "this quarter"],
        Relative::ThisQuarter,
    );
    add(
        &["下季度", "下个季度", "next quarter"],
        Relative::NextQuarter,
    );
    add(
        &[
            "年底",
            "年末",
            "end of year",
            "end of the year",
            "year end",
            "year-end",
            "by year end",
        ],
        Relative::EndOfYear { years_ahead: 0 },
    );
    add(
        &["明年年底", "明年年末", "end of next year"],
        Relative::EndOfYear { years_ahead: 1 },
    );
    add(
        &[
            "明年初",
            "明年年初",
            "early next year",
            "beginning of next year",
            "start of next year",
        ],
        Relative::StartOfYear { years_ahead: 1 },
    );
    add(
        &["年内", "今年", "this year", "within the year"],
        Relative::RestOfYear,
    );
    add(&["明年", "next year"], Relative::Year { years_ahead: 1 });
    add(
        &[
            "上半年",
            "first half of the year",
            "first half of this year",
        ],
        Relative::HalfYear {
            half: 1,
            years_ahead: None,
        },
    );
    add(
        &[
            "下半年",
            "second half of the year",
            "second half of this year",
            "later this year",
        ],
        Relative::HalfYear {
            half: 2,
            years_ahead: None,
        },
    );
    add(
        &["明年上半年", "first half of next year", "h1 next year"],
        Relative::HalfYear {
            half: 1,
            years_ahead: Some(1),
        },
    );
    add(
        &["明年下半年", "second half of next year", "h2 next year"],
        Relative::HalfYear {
            half: 2,
            years_ahead: Some(1),
        },
    );
    for months in 1..=12_u32 {
        let index = (months - 1) as usize;
        let within = Relative::WithinMonths(months);
        for phrase in [
            format!("{}个月内", CHINESE_NUMBERS[index]),
            format!("{}个月之内", CHINESE_NUMBERS[index]),
            format!("{months}个月内"),
            format!("{months}个月之内"),
            format!("within {} months", ENGLISH_NUMBERS[index]),
            format!("within {months} months"),
            format!("in the next {} months", ENGLISH_NUMBERS[index]),
            format!("in the next {months} months"),
        ] {
            table.push((phrase, within));
        }
        if months == 2 {
            table.push(("两个月内".to_owned(), within));
        }
        let month = Relative::Month {
            month: months,
            years_ahead: None,
        };
        let next_year_month = Relative::Month {
            month: months,
            years_ahead: Some(1),
        };
        table.push((format!("{}月份", CHINESE_NUMBERS[index]), month));
        table.push((format!("{}月", CHINESE_NUMBERS[index]), month));
        table.push((format!("明年{}月", CHINESE_NUMBERS[index]), next_year_month));
        table.push((
            format!("明年{}月份", CHINESE_NUMBERS[index]),
            next_year_month,
        ));
    }
    for quarter in 1..=4_u32 {
        let index = (quarter - 1) as usize;
        let this = Relative::Quarter {
            quarter,
            years_ahead: None,
        };
        let next = Relative::Quarter {
            quarter,
            years_ahead: Some(1),
        };
        let chinese = CHINESE_NUMBERS[index];
        for phrase in [
            format!("q{quarter}"),
            format!("第{chinese}季度"),
            format!("{chinese}季度"),
            format!("第{quarter}季度"),
            format!("{quarter}季度"),
            format!("{} quarter", ENGLISH_ORDINALS[index]),
        ] {
            table.push((phrase.clone(), this));
            table.push((format!("明年{phrase}"), next));
        }
        table.push((format!("q{quarter} next year"), next));
        table.push((format!("q{quarter} of next year"), next));
        table.push((format!("next year q{quarter}"), next));
    }
    table
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    first_of_next
        .and_then(|date| date.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

fn month_range(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, month, 1)?,
        last_day_of_month(year, month),
    ))
}

fn quarter_range(year: i32, quarter: u32) -> Option<(NaiveDate, NaiveDate)> {
    let (first, _) = month_range(year, quarter * 3 - 2)?;
    Some((first, last_day_of_month(year, quarter * 3)))
}

/// The next occurrence of a range function: this year's, or next year's when
/// this year's is entirely before `today`.
fn next_occurrence(
    today: NaiveDate,
    years_ahead: Option<i32>,
    range: impl Fn(i32) -> Option<(NaiveDate, NaiveDate)>,
) -> Option<(NaiveDate, NaiveDate)> {
    match years_ahead {
        Some(years) => range(today.year() + years),
        None => {
            let this_year = range(today.year())?;
            if this_year.1 < today {
                range(today.year() + 1)
            } else {
                Some(this_year)
            }
        }
    }
}

fn resolve_relative(relative: Relative, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let days_from_monday = i64::from(today.weekday().num_days_from_monday());
    // A day the calendar cannot hold (a week at either end of chrono's
    // range) resolves nothing.
    let plus = |day: NaiveDate, days: i64| day.checked_add_signed(Duration::days(days));
    let this_monday = plus(today, -days_from_monday)?;
    match relative {
        Relative::ThisWeek => Some((today, plus(this_monday, 6)?)),
        Relative::NextWeek => Some((plus(this_monday, 7)?, plus(this_monday, 13)?)),
        Relative::WithinDays(days) => Some((today, plus(today, days)?)),
        Relative::ThisMonth => Some((today, last_day_of_month(today.year(), today.month()))),
        Relative::MonthsAhead(months) => {
            let target = today.with_day(1)?.checked_add_months(Months::new(months))?;
            month_range(target.year(), target.month())
        }
        Relative::WithinMonths(months) => {
            Some((today, today.checked_add_months(Months::new(months))?))
        }
        Relative::ThisQuarter => quarter_range(today.year(), (today.month() - 1) / 3 + 1),
        Relative::NextQuarter => {
            let target = today.with_day(1)?.checked_add_months(Months::new(3))?;
            quarter_range(target.year(), (target.month() - 1) / 3 + 1)
        }
        Relative::Quarter {
            quarter,
            years_ahead,
        } => next_occurrence(today, years_ahead, |year| quarter_range(year, quarter)),
        Relative::Month { month, years_ahead } => {
            next_occurrence(today, years_ahead, |year| month_range(year, month))
        }
        Relative::EndOfYear { years_ahead } => {
            let year = today.year() + years_ahead;
            Some((
                NaiveDate::from_ymd_opt(year, 12, 1)?,
                NaiveDate::from_ymd_opt(year, 12, 31)?,
            ))
        }
        Relative::StartOfYear { years_ahead } => {
            let year = today.year() + years_ahead;
            Some((
                NaiveDate::from_ymd_opt(year, 1, 1)?,
                NaiveDate::from_ymd_opt(year, 3, 31)?,
            ))
        }
        Relative::HalfYear { half, years_ahead } => next_occurrence(today, years_ahead, |year| {
            let first_month = if half == 1 { 1 } else { 7 };
            Some((
                NaiveDate::from_ymd_opt(year, first_month, 1)?,
                last_day_of_month(year, first_month + 5),
            ))
        }),
        Relative::RestOfYear => Some((today, NaiveDate::from_ymd_opt(today.year(), 12, 31)?)),
        Relative::Year { years_ahead } => {
            let year = today.year() + years_ahead;
            Some((
                NaiveDate::from_ymd_opt(year, 1, 1)?,
                NaiveDate::from_ymd_opt(year, 12, 31)?,
            ))
        }
    }
}

fn digits_at(text: &str, start: usize) -> Option<(u32, usize)> {
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    Some((digits.parse().ok()?, start + digits.len()))
}

fn infer_year_for_day(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if this_year < today {
        NaiveDate::from_ymd_opt(today.year() + 1, month, day)
    } else {
        Some(this_year)
    }
}

fn year_prefix(text: &str, start: usize) -> (usize, Option<i32>) {
    let before = &text[..start];
    if let Some(stripped) = before.strip_suffix("明年") {
        (stripped.len(), Some(1))
    } else if let Some(stripped) = before.strip_suffix("今年") {
        (stripped.len(), Some(0))
    } else {
        (start, None)
    }
}

/// Numeric dates: `2027-03-15`, `2027/3/15`, `2027年3月15日`, `2027年3月`,
/// `3月15日`/`3月15号`, `3月份`/`3月` (with optional 明年/今年).
fn find_numeric_dates(text: &str, today: NaiveDate) -> Vec<FoundWindow> {
    let mut found = Vec::new();
    let mut position = 0;
    while position < text.len() {
        let starts_digit_run = text[position..]
            .starts_with(|character: char| character.is_ascii_digit())
            && !text[..position].ends_with(|character: char| character.is_ascii_digit());
        if !starts_digit_run {
            position += text[position..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let Some((number, after_number)) = digits_at(text, position) else {
            position += 1;
            continue;
        };
        let rest = &text[after_number..];
        let mut matched: Option<FoundWindow> = None;
        // yyyy-mm-dd, yyyy/mm/dd, yyyy.mm.dd
        if after_number - position == 4 {
            for separator in ['-', '/', '.'] {
                if matched.is_some() || !rest.starts_with(separator) {
                    continue;
                }
                let Some((month, after_month)) = digits_at(text, after_number + 1) else {
                    continue;
                };
                if !text[after_month..].starts_with(separator) {
                    continue;
                }
                let Some((day, after_day)) = digits_at(text, after_month + 1) else {
                    continue;
                };
                if let Some(date) = i32::try_from(number)
                    .ok()
                    .and_then(|year| NaiveDate::from_ymd_opt(year, month, day))
                {
                    matched = Some(FoundWindow {
                        start: position,
                        end: after_day,
                        earliest: date,
                        latest: date,
                    });
                }
            }
            if matched.is_none() {
                if let Some(after_year) = rest.strip_prefix('年') {
                    let month_start = text.len() - after_year.len();
                    if let Some((month, after_month)) = digits_at(text, month_start) {
                        if let Some(after_month_marker) = text[after_month..].strip_prefix('月') {
                            let day_start = text.len() - after_month_marker.len();
                            let year = i32::try_from(number).unwrap_or(0);
                            matched = match digits_at(text, day_start) {
                                Some((day, after_day))
                                    if text[after_day..].starts_with('日')
                                        || text[after_day..].starts_with('号') =>
                                {
                                    NaiveDate::from_ymd_opt(year, month, day).map(|date| {
                                        FoundWindow {
                                            start: position,
                                            end: after_day + 3,
                                            earliest: date,
                                            latest: date,
                                        }
                                    })
                                }
                                _ => {
                                    month_range(year, month).map(|(earliest, latest)| FoundWindow {
                                        start: position,
                                        end: day_start,
                                        earliest,
                                        latest,
                                    })
                                }
                            };
                        }
                    }
                }
            }
        } else if let Some(after_month_marker) = rest.strip_prefix('月') {
            let month = number;
            let day_start = text.len() - after_month_marker.len();
            let (start, years_ahead) = year_prefix(text, position);
            matched = match digits_at(text, day_start) {
                Some((day, after_day))
                    if text[after_day..].starts_with('日')
                        || text[after_day..].starts_with('号') =>
                {
                    let date = match years_ahead {
                        Some(years) => NaiveDate::from_ymd_opt(today.year() + years, month, day),
                        None => infer_year_for_day(today, month, day),
                    };
                    date.map(|date| FoundWindow {
                        start,
                        end: after_day + 3,
                        earliest: date,
                        latest: date,
                    })
                }
                Some(_) => None,
                None if (1..=12).contains(&month) => {
                    let end = if after_month_marker.starts_with('份') {
                        day_start + 3
                    } else {
                        day_start
                    };
                    resolve_relative(Relative::Month { month, years_ahead }, today).map(
                        |(earliest, latest)| FoundWindow {
                            start,
                            end,
                            earliest,
                            latest,
                        },
                    )
                }
                None => None,
            };
        }
        if let Some(window) = matched {
            position = window.end;
            found.push(window);
        } else {
            position = after_number;
        }
    }
    found
}

/// English month names: `March 15`, `March 15th, 2027`, `15 March`,
/// `in March`, `by March`, `early/mid/late March`, `before March`.
fn find_english_months(text: &str, today: NaiveDate) -> Vec<FoundWindow> {
    let mut found = Vec::new();
    for (name, month) in ENGLISH_MONTHS
        .iter()
        .chain(ENGLISH_MONTHS_SHORT_TAIL.iter())
    {
        for start in find_term(text, name) {
            let end = start + name.len();
            let after = &text[end..];
            let after_dot = after.strip_prefix('.').unwrap_or(after);
            // "March 15", "March 15th", "March 15, 2027"
            let trimmed_after = after_dot.trim_start_matches(' ');
            let day_start = text.len() - trimmed_after.len();
            if trimmed_after.len() < after_dot.len() {
                if let Some((day, mut day_end)) = digits_at(text, day_start) {
                    for suffix in ["st", "nd", "rd", "th"] {
                        if text[day_end..].starts_with(suffix) {
                            day_end += suffix.len();
                            break;
                        }
                    }
                    let mut explicit_year = None;
                    if let Some(year_text) = text[day_end..]
                        .strip_prefix(", ")
                        .or_else(|| text[day_end..].strip_prefix(' '))
                    {
                        let year_start = text.len() - year_text.len();
                        if let Some((year, year_end)) = digits_at(text, year_start) {
                            if year_end - year_start == 4 {
                                explicit_year = Some((year, year_end));
                            }
                        }
                    }
                    if day <= 31 && day_end - day_start <= 4 {
                        let (date, end) = match explicit_year {
                            Some((year, year_end)) => (
                                i32::try_from(year)
                                    .ok()
                                    .and_then(|year| NaiveDate::from_ymd_opt(year, *month, day)),
                                year_end,
                            ),
                            None => (infer_year_for_day(today, *month, day), day_end),
                        };
                        if let Some(date) = date {
                            found.push(FoundWindow {
                                start,
                                end,
                                earliest: date,
                                latest: date,
                            });
                            continue;
                        }
                    }
                }
            }
            // "15 March"
            let before = &text[..start];
            if let Some(before_space) = before.strip_suffix(' ') {
                let digits_len = before_space
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .count();
                if (1..=2).contains(&digits_len) {
                    let day_start = before_space.len() - digits_len;
                    if let Some((day, _)) = digits_at(text, day_start) {
                        if let Some(date) = infer_year_for_day(today, *month, day) {
                            found.push(FoundWindow {
                                start: day_start,
                                end,
                                earliest: date,
                                latest: date,
                            });
                            continue;
                        }
                    }
                }
            }
            // "in March", "by March", ...
            let mut matched_prefix = false;
            for (prefix, kind) in [
                ("in ", 0),
                ("during ", 0),
                ("early ", 0),
                ("mid ", 0),
                ("mid-", 0),
                ("late ", 0),
                ("end of ", 0),
                ("by ", 1),
                ("until ", 1),
                ("before ", 2),
            ] {
                if matched_prefix || !before.ends_with(prefix) {
                    continue;
                }
                matched_prefix = true;
                let Some((earliest, latest)) = resolve_relative(
                    Relative::Month {
                        month: *month,
                        years_ahead: None,
                    },
                    today,
                ) else {
                    continue;
                };
                let (earliest, latest) = match kind {
                    0 => (earliest, latest),
                    1 => (today, latest),
                    _ => (today, earliest.pred_opt().unwrap_or(earliest)),
                };
                found.push(FoundWindow {
                    start: start - prefix.len(),
                    end,
                    earliest,
                    latest,
                });
            }
        }
    }
    found
}

fn find_time_phrases(text: &str, today: NaiveDate) -> Vec<FoundWindow> {
    let mut found = Vec::new();
    for (phrase, relative) in phrase_table() {
        for start in find_term(text, &phrase) {
            if let Some((earliest, latest)) = resolve_relative(relative, today) {
                found.push(FoundWindow {
                    start,
                    end: start + phrase.len(),
                    earliest,
                    latest,
                });
            }
        }
    }
    found.extend(find_numeric_dates(text, today));
    found.extend(find_english_months(text, today));
    // keep the longest of overlapping phrases
    found.sort_by(|left, right| {
        (right.end - right.start)
            .cmp(&(left.end - left.start))
            .then(left.start.cmp(&right.start))
    });
    let mut kept: Vec<FoundWindow> = Vec::new();
    for window in found {
        if kept
            .iter()
            .all(|other| window.end <= other.start || window.start >= other.end)
        {
            kept.push(window);
        }
    }
    kept.sort_by_key(|window| window.start);
    kept
}

const PURCHASE_CUES: &[&str] = &[
    "采购",
    "购买",
    "下单",
    "签约",
    "签合同",
    "合同",
    "立项",
    "招标",
    "买",
    "订购",
    "上线",
    "定下来",
    "purchase",
    "buy",
    "order",
    "sign",
    "contract",
    "procure",
    "procurement",
    "tender",
    "decision",
    "decide",
    "po",
    "go live",
    "deploy",
];

const CUE_MAX_DISTANCE: usize = 90;

fn resolve_purchase_window(text: &str, today: NaiveDate) -> Option<PurchaseWindow> {
    let windows = find_time_phrases(text, today);
    let cue_spans: Vec<(usize, usize)> = PURCHASE_CUES
        .iter()
        .flat_map(|cue| {
            find_term(text, cue)
                .into_iter()
                .map(|start| (start, start + cue.len()))
        })
        .collect();
    let distance_to_cue = |window: &FoundWindow| -> Option<usize> {
        cue_spans
            .iter()
            .map(|(cue_start, cue_end)| {
                if *cue_end <= window.start {
                    window.start - cue_end
                } else if *cue_start >= window.end {
                    cue_start - window.end
                } else {
                    0
                }
            })
            .filter(|distance| *distance <= CUE_MAX_DISTANCE)
            .min()
    };
    let chosen = windows
        .iter()
        .filter_map(|window| {
            distance_to_cue(window).map(|distance| (distance, window.start, window))
        })
        .min_by_key(|(distance, start, _)| (*distance, *start))
        .map(|(_, _, window)| window)
        .or_else(|| windows.first())?;
    let earliest = if chosen.latest >= today {
        chosen.earliest.max(today)
    } else {
        chosen.earliest
    };
    Some(PurchaseWindow {
        earliest,
        latest: chosen.latest,
        phrase: text[chosen.start..chosen.end].to_owned(),
    })
}

/// The local date of an instant, for resolving time phrases.
pub fn local_date(instant: chrono::DateTime<chrono::Utc>, utc_offset_minutes: i32) -> NaiveDate {
    crate::calendar::moved_by(instant, Duration::minutes(i64::from(utc_offset_minutes)))
        .date_naive()
}
