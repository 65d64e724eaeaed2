//! Value objects: parse rules and normalisation.

use salesledger_domain::error::{DomainError, ValueKind};
use salesledger_domain::value::*;

#[test]
fn capability_tags_are_3_to_5() {
    for count in [0_usize, 1, 2, 6, 7] {
        let raw: Vec<String> = (0..count).map(|index| format!("tag-{index}")).collect();
        assert_eq!(
            CapabilityTags::parse(&raw),
            Err(DomainError::CapabilityTagCount { count }),
            "{count} tags"
        );
    }
    for count in 3..=5_usize {
        let raw: Vec<String> = (0..count).map(|index| format!("tag-{index}")).collect();
        assert_eq!(
            CapabilityTags::parse(&raw).map(|tags| tags.len()),
            Ok(count)
        );
    }
    assert_eq!(
        CapabilityTags::parse(&["iso13485", "ISO13485", "plc"]).map_err(|error| error.code()),
        Err("invalid_capability_tag"),
        "duplicates after lowercasing"
    );
    assert_eq!(
        CapabilityTags::parse(&["iso13485", "tier3 hospital", "plc"]).map_err(|error| error.code()),
        Err("invalid_capability_tag")
    );
    assert_eq!(
        CapabilityTag::parse(" Tier3-Hospital-HIS ").map(String::from),
        Ok("tier3-hospital-his".to_owned())
    );
    let decoded: Result<CapabilityTags, _> = serde_json::from_str(r#"["a1","b2"]"#);
    assert!(decoded.is_err(), "serde goes through the same rule");
}

#[test]
fn attributes_are_at_most_12() {
    let pairs: Vec<(String, String)> = (0..13)
        .map(|index| (format!("key_{index}"), format!("value {index}")))
        .collect();
    assert_eq!(
        CustomerAttributes::parse(&pairs),
        Err(DomainError::TooManyAttributes { count: 13, max: 12 })
    );
    let twelve = CustomerAttributes::parse(&pairs[..12]).expect("12 is fine");
    assert_eq!(twelve.len(), 12);
    let extra = CustomerAttributes::parse(&[("one_more", "x")]).expect("one attribute");
    assert_eq!(
        twelve.merged_with(&extra),
        Err(DomainError::TooManyAttributes { count: 13, max: 12 })
    );
    let decoded: Result<CustomerAttributes, _> = serde_json::from_value(serde_json::json!(pairs
        .iter()
        .cloned()
        .collect::<std::collections::BTreeMap<String, String>>()));
    assert!(decoded.is_err(), "13 attributes never decode");
    assert_eq!(
        CustomerAttributes::parse(&[("Decision Chain", "x")]).map_err(|error| error.code()),
        Err("invalid_attribute_key")
    );
}

#[test]
fn unified_social_credit_code_checks_format_and_check_character() {
    for valid in [
        "91350100M000100Y43",
        "9144030071526726XG",
        "91310000ma1fl4b24g",
        "91110000600037341L",
    ] {
        assert!(UnifiedSocialCreditCode::parse(valid).is_ok(), "{valid}");
    }
    for (invalid, why) in [
        ("91350100M000100Y44", "wrong check character"),
        ("91350100M000100Y4", "17 characters"),
        ("91350100M000100YI3", "I is not in the alphabet"),
        ("91ABC100M000100Y43", "division code must be digits"),
    ] {
        let error = UnifiedSocialCreditCode::parse(invalid).expect_err(why);
        assert!(
            matches!(
                error,
                DomainError::InvalidValue {
                    value_kind: ValueKind::UnifiedSocialCreditCode,
                    ..
                }
            ),
            "{why}: {error:?}"
        );
    }
}

#[test]
fn phones_are_normalised() {
    for (raw, normalised) in [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("(021) 6234-5678", "02162345678"),
        ("+86 21 6234 5678", "02162345678"),
        ("１３８００１３８０００", "13800138000"),
    ] {
        assert_eq!(
            Phone::parse(raw).map(String::from),
            Ok(normalised.to_owned()),
            "{raw}"
        );
    }
    for invalid in ["123", "1380013800", "call me", "+86+138"] {
        assert!(Phone::parse(invalid).is_err(), "{invalid}");
    }
}

#[test]
fn emails_are_lowercased_and_checked() {
    assert_eq!(
        Email::parse(" Li.Na@Example.CN ").map(String::from),
        Ok("li.na@example.cn".to_owned())
    );
    for invalid in [
        "li.na",
        "li@na",
        "@example.cn",
        "li na@example.cn",
        "li@example..cn",
    ] {
        assert!(Email::parse(invalid).is_err(), "{invalid}");
    }
}

#[test]
fn company_names_normalise_for_duplicate_detection() {
    for (raw, normalised) in [
        ("宁波精工机械有限公司", "宁波精工机械"),
        ("宁波精工机械股份有限公司", "宁波精工机械"),
        ("宁波 精工机械（有限公司）", "宁波精工机械"),
        ("ＡＢＣ　Ｍｅｄｉｃａｌ　Ｃｏ．，Ｌｔｄ．", "abcmedical"),
        ("ABC Medical Co., Ltd.", "abcmedical"),
        ("abc medical inc", "abcmedical"),
        ("A.B.C. Medical Limited", "abcmedical"),
        ("Costco", "costco"),
    ] {
        assert_eq!(normalise_company_name(raw), normalised, "{raw}");
    }
    assert!(CompanyName::parse("  ").is_err());
    assert!(CompanyName::parse("（）").is_err());
}
