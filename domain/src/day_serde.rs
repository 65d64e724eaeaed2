//! `NaiveDate` fields whose binary form is a day number.
//!
//! chrono serialises a `NaiveDate` as ISO text (`"2026-03-04"`) in every
//! serde format. That is what JSON wants (the log's payloads, the API), but
//! the read models store rows in postcard, where every date of a row was
//! formatted on write and parsed on read: most of what writing a day of a
//! customer's score history cost. With `#[serde(with = "day_serde")]` a
//! field is ISO text in human-readable formats, exactly as before, and the
//! number of days from the common era (`num_days_from_ce`, an `i32`) in
//! the others. [`option`] does the same for an `Option<NaiveDate>`.

use chrono::{Datelike, NaiveDate};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serialises `day`: ISO text when the format is human-readable, else its
/// day number.
pub fn serialize<S: Serializer>(day: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        day.serialize(serializer)
    } else {
        serializer.serialize_i32(day.num_days_from_ce())
    }
}

/// Deserialises what [`serialize`] wrote.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    if deserializer.is_human_readable() {
        NaiveDate::deserialize(deserializer)
    } else {
        let number = i32::deserialize(deserializer)?;
        NaiveDate::from_num_days_from_ce_opt(number)
            .ok_or_else(|| D::Error::custom(format!("day number {number} out of range")))
    }
}

/// The same for an `Option<NaiveDate>` field.
pub mod option {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// `day` in the [`serialize`](super::serialize) form (a missing day is
    /// the format's `None`).
    #[derive(Serialize, Deserialize)]
    struct Day(#[serde(with = "super")] NaiveDate);

    pub fn serialize<S: Serializer>(
        day: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        day.map(Day).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        Ok(Option::<Day>::deserialize(deserializer)?.map(|Day(day)| day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "super")]
        day: NaiveDate,
        #[serde(with = "super::option", default)]
        maybe: Option<NaiveDate>,
    }

    fn row() -> Row {
        Row {
            day: NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default(),
            maybe: NaiveDate::from_ymd_opt(2025, 12, 31),
        }
    }

    #[test]
    fn json_keeps_iso_text() -> Result<(), serde_json::Error> {
        let text = serde_json::to_string(&row())?;
        assert_eq!(text, r#"{"day":"2026-03-04","maybe":"2025-12-31"}"#);
        assert_eq!(serde_json::from_str::<Row>(&text)?, row());
        let none: Row = serde_json::from_str(r#"{"day":"2026-03-04","maybe":null}"#)?;
        assert_eq!(none.maybe, None);
        Ok(())
    }

    #[test]
    fn binary_is_a_day_number() -> Result<(), postcard::Error> {
        let bytes = postcard::to_allocvec(&row())?;
        // two zig-zag varints of three bytes and the option's tag: no text
        assert_eq!(bytes.len(), 3 + 1 + 3);
        assert_eq!(postcard::from_bytes::<Row>(&bytes)?, row());
        let none = Row {
            maybe: None,
            ..row()
        };
        let bytes = postcard::to_allocvec(&none)?;
        assert_eq!(postcard::from_bytes::<Row>(&bytes)?, none);
        Ok(())
    }

    #[test]
    fn an_out_of_range_day_number_is_an_error() {
        let bytes = postcard::to_allocvec(&(i32::MAX, Option::<i32>::None)).unwrap_or_default();
        assert!(!bytes.is_empty());
        assert!(postcard::from_bytes::<Row>(&bytes).is_err());
    }
}
