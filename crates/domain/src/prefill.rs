//! What the save form can be filled in with: the company, the position, the year and the half
//! (상반기/하반기) a cover letter was written for, each as read from the text.

use serde::{Deserialize, Serialize};

/// One suggested value, the line it was read from and how sure the reading is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion<T> {
    pub value: T,
    /// The line of the extracted text the value comes from.
    pub line: String,
    /// 0–100: 90 for a labeled form field (`지원 회사: …`), less for what is only implied.
    pub confidence: u8,
}

/// The half of the year of a recruiting season.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Half {
    #[serde(rename = "상반기")]
    First,
    #[serde(rename = "하반기")]
    Second,
}

impl Half {
    /// `상반기` or `하반기`, as the form shows it.
    pub const fn label(self) -> &'static str {
        match self {
            Half::First => "상반기",
            Half::Second => "하반기",
        }
    }
}

/// Suggestions for the save form of one file; `None` where the text does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prefill {
    pub company: Option<Suggestion<String>>,
    pub position: Option<Suggestion<String>>,
    pub year: Option<Suggestion<u16>>,
    pub half: Option<Suggestion<Half>>,
}

impl Prefill {
    /// `save form: company 한빛테크 (70%), position 백엔드 개발 (90%), year –, half –`, with a
    /// line break, for the command line and the demo.
    pub fn describe(&self) -> String {
        fn field<T: std::fmt::Display>(name: &str, value: Option<(T, u8)>) -> String {
            match value {
                Some((value, confidence)) => format!("{name} {value} ({confidence}%)"),
                None => format!("{name} –"),
            }
        }
        let pick =
            |s: &Option<Suggestion<String>>| s.as_ref().map(|s| (s.value.clone(), s.confidence));
        format!(
            "save form: {}, {}, {}, {}\n",
            field("company", pick(&self.company)),
            field("position", pick(&self.position)),
            field("year", self.year.as_ref().map(|s| (s.value, s.confidence))),
            field(
                "half",
                self.half.as_ref().map(|s| (s.value.label(), s.confidence))
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_are_null_and_halves_are_korean() {
        let prefill = Prefill {
            half: Some(Suggestion {
                value: Half::Second,
                line: "2025년 하반기 신입사원 채용".into(),
                confidence: 90,
            }),
            ..Prefill::default()
        };
        let json = serde_json::to_value(&prefill).expect("json");
        assert_eq!(json["company"], serde_json::Value::Null);
        assert_eq!(json["half"]["value"], "하반기");
        let back: Prefill = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, prefill);
    }
}
