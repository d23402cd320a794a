use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The category of a cover-letter question. Serialised as its key (`MOTIVATION`); shown to
/// users by its Korean [`label`](Category::label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    Motivation,
    TeamworkExperience,
    Values,
    JobSkill,
    Personality,
    FuturePlan,
    ProblemSolving,
    CareerGoal,
    FailureExperience,
    GrowthProcess,
    SocialTopic,
    Other,
}

impl Category {
    /// Every category, in the order of the product's table.
    pub const ALL: [Category; 12] = [
        Category::Motivation,
        Category::TeamworkExperience,
        Category::Values,
        Category::JobSkill,
        Category::Personality,
        Category::FuturePlan,
        Category::ProblemSolving,
        Category::CareerGoal,
        Category::FailureExperience,
        Category::GrowthProcess,
        Category::SocialTopic,
        Category::Other,
    ];

    /// The wire key, e.g. `TEAMWORK_EXPERIENCE`.
    pub const fn key(self) -> &'static str {
        match self {
            Category::Motivation => "MOTIVATION",
            Category::TeamworkExperience => "TEAMWORK_EXPERIENCE",
            Category::Values => "VALUES",
            Category::JobSkill => "JOB_SKILL",
            Category::Personality => "PERSONALITY",
            Category::FuturePlan => "FUTURE_PLAN",
            Category::ProblemSolving => "PROBLEM_SOLVING",
            Category::CareerGoal => "CAREER_GOAL",
            Category::FailureExperience => "FAILURE_EXPERIENCE",
            Category::GrowthProcess => "GROWTH_PROCESS",
            Category::SocialTopic => "SOCIAL_TOPIC",
            Category::Other => "OTHER",
        }
    }

    /// The Korean label shown to users, e.g. `협업경험`.
    pub const fn label(self) -> &'static str {
        match self {
            Category::Motivation => "지원동기",
            Category::TeamworkExperience => "협업경험",
            Category::Values => "가치관",
            Category::JobSkill => "직무역량",
            Category::Personality => "성격의 장단점",
            Category::FuturePlan => "입사 후 포부",
            Category::ProblemSolving => "문제해결",
            Category::CareerGoal => "커리어 목표",
            Category::FailureExperience => "실패경험",
            Category::GrowthProcess => "성장과정",
            Category::SocialTopic => "사회이슈",
            Category::Other => "기타",
        }
    }

    /// Looks a category up by its wire key.
    pub fn from_key(key: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == key)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The key was not one of the twelve categories.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category key {0:?}")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::from_key(s).ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_key_and_round_trips() {
        for category in Category::ALL {
            let json = serde_json::to_string(&category).expect("serialise");
            assert_eq!(json, format!("\"{}\"", category.key()));
            let back: Category = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, category);
            assert_eq!(category.key().parse::<Category>(), Ok(category));
        }
    }

    #[test]
    fn keys_and_labels_are_unique() {
        let mut keys: Vec<_> = Category::ALL.iter().map(|c| c.key()).collect();
        let mut labels: Vec<_> = Category::ALL.iter().map(|c| c.label()).collect();
        keys.sort_unstable();
        keys.dedup();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(keys.len(), 12);
        assert_eq!(labels.len(), 12);
    }

    #[test]
    fn labels_match_the_product_table() {
        assert_eq!(Category::TeamworkExperience.label(), "협업경험");
        assert_eq!(Category::Personality.label(), "성격의 장단점");
        assert_eq!(Category::FuturePlan.label(), "입사 후 포부");
        assert_eq!(Category::Other.label(), "기타");
    }

    #[test]
    fn unknown_key_is_rejected() {
        assert!("motivation".parse::<Category>().is_err());
        assert!(serde_json::from_str::<Category>("\"HOBBY\"").is_err());
    }
}
