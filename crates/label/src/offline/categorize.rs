//! A weighted phrase model of how Korean companies word their cover-letter questions.
//!
//! Each category has phrases with weights (5–7: the phrase names the topic, e.g. `지원 동기`;
//! 3–4: a strong hint, e.g. `갈등`; 1–2: a weak hint, e.g. `함께`). Matching ignores spaces,
//! since `지원동기` and `지원 동기` are both common. A category scores its best phrase plus a
//! quarter of its other phrases. Two topics joined by `및`, `,`, `/`, `와 `/`과 ` (`지원동기 및
//! 입사 후 포부`) go to the one named first when both are named outright and the scores are
//! close; otherwise the highest score wins, ties broken by the order of [`Category::ALL`].
//! Below two points the question is [`Category::Other`].

use narratix_domain::Category;

/// Phrases (written without spaces) and their weights.
const PHRASES: &[(Category, &str, u8)] = &[
    // 지원동기
    (Category::Motivation, "지원동기", 6),
    (Category::Motivation, "지원한동기", 6),
    (Category::Motivation, "지원하게된동기", 6),
    (Category::Motivation, "지원하게된계기", 6),
    (Category::Motivation, "지원한이유", 6),
    (Category::Motivation, "지원이유", 6),
    (Category::Motivation, "지원하는이유", 6),
    (Category::Motivation, "지원하게된이유", 6),
    (Category::Motivation, "지원하신이유", 6),
    (Category::Motivation, "지원한계기", 6),
    (Category::Motivation, "선택한이유", 5),
    (Category::Motivation, "선택한계기", 5),
    (Category::Motivation, "선택하게된", 4),
    (Category::Motivation, "왜당사", 5),
    (Category::Motivation, "왜우리", 4),
    (Category::Motivation, "당사를선택", 5),
    (Category::Motivation, "당사에지원", 4),
    (Category::Motivation, "회사를선택", 5),
    (Category::Motivation, "관심을갖게", 3),
    (Category::Motivation, "관심을가지게", 3),
    (Category::Motivation, "입사를희망", 4),
    (Category::Motivation, "입사하고자", 4),
    (Category::Motivation, "지원하게", 4),
    (Category::Motivation, "지원한", 3),
    // 입사 후 포부
    (Category::FuturePlan, "입사후포부", 7),
    (Category::FuturePlan, "포부", 5),
    (Category::FuturePlan, "입사후", 4),
    (Category::FuturePlan, "입사한다면", 4),
    (Category::FuturePlan, "입사하게된다면", 4),
    (Category::FuturePlan, "입사하면", 4),
    (Category::FuturePlan, "입사하여", 4),
    (Category::FuturePlan, "입사해서", 4),
    (Category::FuturePlan, "5년후", 4),
    (Category::FuturePlan, "10년후", 4),
    (Category::FuturePlan, "5년뒤", 4),
    (Category::FuturePlan, "10년뒤", 4),
    (Category::FuturePlan, "10년동안", 3),
    (Category::FuturePlan, "향후계획", 3),
    (Category::FuturePlan, "앞으로의계획", 3),
    (Category::FuturePlan, "기여할수있", 3),
    (Category::FuturePlan, "기여하고싶", 3),
    (Category::FuturePlan, "이루고싶은", 3),
    (Category::FuturePlan, "하고싶은일", 3),
    (Category::FuturePlan, "회사생활", 3),
    (Category::FuturePlan, "실천계획", 2),
    // 커리어 목표
    (Category::CareerGoal, "커리어", 6),
    (Category::CareerGoal, "경력목표", 6),
    (Category::CareerGoal, "경력개발", 6),
    (Category::CareerGoal, "직업적목표", 6),
    (Category::CareerGoal, "경력계획", 5),
    (Category::CareerGoal, "장기목표", 5),
    (Category::CareerGoal, "장기적인목표", 5),
    (Category::CareerGoal, "전문가로성장", 5),
    (Category::CareerGoal, "직업적비전", 5),
    (Category::CareerGoal, "어떤전문가", 6),
    (Category::CareerGoal, "직업인", 2),
    (Category::CareerGoal, "도달하고싶", 3),
    (Category::CareerGoal, "최종적", 3),
    (Category::CareerGoal, "전문가가되", 4),
    (Category::CareerGoal, "최종목표", 4),
    (Category::CareerGoal, "성장계획", 4),
    (Category::CareerGoal, "장기적", 3),
    (Category::CareerGoal, "전문가로서", 3),
    (Category::CareerGoal, "비전", 3),
    (Category::CareerGoal, "궁극적", 3),
    (Category::CareerGoal, "인생목표", 3),
    (Category::CareerGoal, "자기계발", 3),
    (Category::CareerGoal, "자기개발", 3),
    (Category::CareerGoal, "롤모델", 2),
    (Category::CareerGoal, "미래의모습", 4),
    (Category::CareerGoal, "꿈꾸는", 3),
    // 협업경험
    (Category::TeamworkExperience, "협업", 6),
    (Category::TeamworkExperience, "팀워크", 6),
    (Category::TeamworkExperience, "협력", 5),
    (Category::TeamworkExperience, "팀프로젝트", 5),
    (Category::TeamworkExperience, "팀활동", 5),
    (Category::TeamworkExperience, "공동의목표", 5),
    (Category::TeamworkExperience, "공동목표", 5),
    (Category::TeamworkExperience, "공동작업", 5),
    (Category::TeamworkExperience, "다양한배경", 5),
    (Category::TeamworkExperience, "함께일하", 4),
    (Category::TeamworkExperience, "함께일할", 4),
    (Category::TeamworkExperience, "갈등", 5),
    (Category::TeamworkExperience, "의견차이", 4),
    (Category::TeamworkExperience, "의견이다른", 4),
    (Category::TeamworkExperience, "의견충돌", 4),
    (Category::TeamworkExperience, "리더십", 4),
    (Category::TeamworkExperience, "팔로워", 5),
    (Category::TeamworkExperience, "리더", 3),
    (Category::TeamworkExperience, "팀원", 4),
    (Category::TeamworkExperience, "팀", 2),
    (Category::TeamworkExperience, "동료", 3),
    (Category::TeamworkExperience, "구성원", 3),
    (Category::TeamworkExperience, "다른사람", 3),
    (Category::TeamworkExperience, "타인", 3),
    (Category::TeamworkExperience, "소통", 3),
    (Category::TeamworkExperience, "커뮤니케이션", 3),
    (Category::TeamworkExperience, "공동체", 3),
    (Category::TeamworkExperience, "단체", 3),
    (Category::TeamworkExperience, "집단", 3),
    (Category::TeamworkExperience, "이끈", 3),
    (Category::TeamworkExperience, "설득", 3),
    (Category::TeamworkExperience, "함께", 2),
    (Category::TeamworkExperience, "조직", 2),
    // 가치관
    (Category::Values, "가치관", 6),
    (Category::Values, "좌우명", 6),
    (Category::Values, "생활신조", 6),
    (Category::Values, "인생관", 6),
    (Category::Values, "직업관", 6),
    (Category::Values, "신념", 5),
    (Category::Values, "신조", 5),
    (Category::Values, "중요하게생각", 5),
    (Category::Values, "중요하게여기", 5),
    (Category::Values, "소중하게생각", 5),
    (Category::Values, "중요시", 4),
    (Category::Values, "원칙", 4),
    (Category::Values, "윤리", 4),
    (Category::Values, "도덕", 4),
    (Category::Values, "삶의태도", 4),
    (Category::Values, "직장인의자세", 5),
    (Category::Values, "바람직한", 3),
    (Category::Values, "중요하다고생각", 4),
    (Category::Values, "덕목", 5),
    (Category::Values, "소중히", 3),
    (Category::Values, "정직", 3),
    (Category::Values, "철학", 3),
    (Category::Values, "지켜온", 3),
    (Category::Values, "존경하는인물", 3),
    (Category::Values, "가치", 2),
    (Category::Values, "기준", 2),
    // 직무역량
    (Category::JobSkill, "직무역량", 6),
    (Category::JobSkill, "직무관련", 5),
    (Category::JobSkill, "직무와관련", 5),
    (Category::JobSkill, "직무에관련", 5),
    (Category::JobSkill, "전문성", 5),
    (Category::JobSkill, "전문지식", 5),
    (Category::JobSkill, "핵심역량", 5),
    (Category::JobSkill, "기술역량", 5),
    (Category::JobSkill, "기술스택", 5),
    (Category::JobSkill, "직무수행", 4),
    (Category::JobSkill, "업무수행", 4),
    (Category::JobSkill, "경쟁력", 4),
    (Category::JobSkill, "기술력", 4),
    (Category::JobSkill, "보유기술", 4),
    (Category::JobSkill, "보유한기술", 4),
    (Category::JobSkill, "스킬", 4),
    (Category::JobSkill, "자격증", 4),
    (Category::JobSkill, "역량", 3),
    (Category::JobSkill, "전공", 3),
    (Category::JobSkill, "실무", 3),
    (Category::JobSkill, "준비했", 3),
    (Category::JobSkill, "준비한", 3),
    (Category::JobSkill, "적합", 3),
    (Category::JobSkill, "차별화", 3),
    (Category::JobSkill, "직무", 2),
    (Category::JobSkill, "지식", 2),
    (Category::JobSkill, "능력", 2),
    (Category::JobSkill, "강점", 2),
    (Category::JobSkill, "활용", 2),
    (Category::JobSkill, "교육", 2),
    // 성격의 장단점
    (Category::Personality, "장단점", 6),
    (Category::Personality, "장점과단점", 6),
    (Category::Personality, "장점및단점", 6),
    (Category::Personality, "장·단점", 6),
    (Category::Personality, "강점과약점", 6),
    (Category::Personality, "성격", 5),
    (Category::Personality, "단점", 5),
    (Category::Personality, "약점", 4),
    (Category::Personality, "성향", 4),
    (Category::Personality, "기질", 4),
    (Category::Personality, "장점", 3),
    (Category::Personality, "특성", 3),
    (Category::Personality, "별명", 3),
    (Category::Personality, "평가하는", 2),
    (Category::Personality, "듣는평가", 4),
    (Category::Personality, "잘표현하는", 3),
    (Category::Personality, "주위사람", 3),
    (Category::Personality, "주변사람", 3),
    (Category::Personality, "보완", 2),
    // 문제해결
    (Category::ProblemSolving, "문제해결", 6),
    (Category::ProblemSolving, "문제를해결", 6),
    (Category::ProblemSolving, "어려움을극복", 5),
    (Category::ProblemSolving, "어려움을이겨", 5),
    (Category::ProblemSolving, "창의적", 4),
    (Category::ProblemSolving, "해결한경험", 4),
    (Category::ProblemSolving, "해결했던", 4),
    (Category::ProblemSolving, "해결방안", 4),
    (Category::ProblemSolving, "해결책", 4),
    (Category::ProblemSolving, "난관", 4),
    (Category::ProblemSolving, "장애물", 4),
    (Category::ProblemSolving, "어려운상황", 4),
    (Category::ProblemSolving, "새로운방법", 4),
    (Category::ProblemSolving, "새로운방식", 4),
    (Category::ProblemSolving, "극복", 3),
    (Category::ProblemSolving, "위기", 3),
    (Category::ProblemSolving, "어려움", 3),
    (Category::ProblemSolving, "개선", 3),
    (Category::ProblemSolving, "혁신", 3),
    (Category::ProblemSolving, "아이디어", 3),
    (Category::ProblemSolving, "도전", 3),
    (Category::ProblemSolving, "한계", 3),
    (Category::ProblemSolving, "예상치못한", 3),
    (Category::ProblemSolving, "최고수준의목표", 4),
    (Category::ProblemSolving, "도전적", 4),
    (Category::ProblemSolving, "관행", 4),
    (Category::ProblemSolving, "달성하기위해", 3),
    (Category::ProblemSolving, "해결", 2),
    (Category::ProblemSolving, "효율", 2),
    (Category::ProblemSolving, "문제", 2),
    (Category::ProblemSolving, "시도", 2),
    // 실패경험
    (Category::FailureExperience, "실패", 6),
    (Category::FailureExperience, "좌절", 6),
    (Category::FailureExperience, "실수", 5),
    (Category::FailureExperience, "성공하지못", 5),
    (Category::FailureExperience, "이루지못", 5),
    (Category::FailureExperience, "달성하지못", 5),
    (Category::FailureExperience, "뜻대로되지", 4),
    (Category::FailureExperience, "계획대로되지", 5),
    (Category::FailureExperience, "얻지못", 5),
    (Category::FailureExperience, "못한경험", 4),
    (Category::FailureExperience, "잘못된판단", 4),
    (Category::FailureExperience, "후회", 4),
    (Category::FailureExperience, "포기하고싶", 4),
    (Category::FailureExperience, "그르쳤", 4),
    (Category::FailureExperience, "낙방", 4),
    (Category::FailureExperience, "아쉬웠던", 3),
    (Category::FailureExperience, "탈락", 3),
    // 성장과정
    (Category::GrowthProcess, "성장과정", 7),
    (Category::GrowthProcess, "성장배경", 6),
    (Category::GrowthProcess, "성장환경", 6),
    (Category::GrowthProcess, "가정환경", 6),
    (Category::GrowthProcess, "어린시절", 5),
    (Category::GrowthProcess, "유년", 5),
    (Category::GrowthProcess, "가족", 4),
    (Category::GrowthProcess, "부모님", 4),
    (Category::GrowthProcess, "학창시절", 4),
    (Category::GrowthProcess, "성장해온", 4),
    (Category::GrowthProcess, "인생의전환점", 4),
    (Category::GrowthProcess, "살아온", 3),
    (Category::GrowthProcess, "살아오면서", 3),
    (Category::GrowthProcess, "영향을끼친", 3),
    (Category::GrowthProcess, "영향을준", 3),
    (Category::GrowthProcess, "영향을미친", 3),
    (Category::GrowthProcess, "전환점", 3),
    (Category::GrowthProcess, "자라", 2),
    (Category::GrowthProcess, "성장", 1),
    // 사회이슈
    (Category::SocialTopic, "사회이슈", 7),
    (Category::SocialTopic, "사회적이슈", 7),
    (Category::SocialTopic, "사회문제", 6),
    (Category::SocialTopic, "사회적문제", 6),
    (Category::SocialTopic, "이슈", 5),
    (Category::SocialTopic, "시사", 5),
    (Category::SocialTopic, "견해", 5),
    (Category::SocialTopic, "뉴스", 5),
    (Category::SocialTopic, "쟁점", 5),
    (Category::SocialTopic, "찬반", 5),
    (Category::SocialTopic, "트렌드", 4),
    (Category::SocialTopic, "동향", 4),
    (Category::SocialTopic, "논란", 4),
    (Category::SocialTopic, "ESG", 4),
    (Category::SocialTopic, "우리사회", 4),
    (Category::SocialTopic, "저출산", 4),
    (Category::SocialTopic, "저출생", 4),
    (Category::SocialTopic, "고령화", 4),
    (Category::SocialTopic, "기후", 4),
    (Category::SocialTopic, "사회적책임", 5),
    (Category::SocialTopic, "기업의역할", 3),
    (Category::SocialTopic, "기사", 3),
    (Category::SocialTopic, "탄소중립", 4),
    (Category::SocialTopic, "양극화", 4),
    (Category::SocialTopic, "사회적", 3),
    (Category::SocialTopic, "미칠영향", 3),
    (Category::SocialTopic, "정책", 3),
    (Category::SocialTopic, "입장", 3),
    (Category::SocialTopic, "관심있게본", 3),
    (Category::SocialTopic, "미치는영향", 3),
    (Category::SocialTopic, "사회에", 2),
    // 기타: free-form prompts that name no topic of their own
    (Category::Other, "자기PR", 5),
    (Category::Other, "자유롭게표현", 3),
    (Category::Other, "자유기술", 3),
    (Category::Other, "자유양식", 3),
    (Category::Other, "취미", 3),
    (Category::Other, "특기", 3),
    (Category::Other, "하고싶은말", 3),
    (Category::Other, "해시태그", 3),
];

/// Least score a category needs; below it the question is [`Category::Other`].
const MIN_SCORE: f32 = 2.0;
/// How close the scores of two coordinated topics must be for the first-named one to win.
const COORDINATED_MARGIN: f32 = 2.5;
/// The weight from which a phrase names its topic outright.
const NAMING_WEIGHT: u8 = 5;

/// A question's text without whitespace, and which of its characters had a space after them.
struct Compact {
    text: String,
    /// Byte offsets into `text` after which the original had whitespace.
    spaced_after: Vec<usize>,
}

impl Compact {
    fn new(question: &str) -> Compact {
        let mut text = String::with_capacity(question.len());
        let mut spaced_after = Vec::new();
        for ch in question.chars() {
            if ch.is_whitespace() {
                if !text.is_empty() && spaced_after.last() != Some(&text.len()) {
                    spaced_after.push(text.len());
                }
            } else {
                text.push(ch.to_ascii_uppercase());
            }
        }
        Compact { text, spaced_after }
    }

    /// Whether `self.text[from..to]` joins two topics: `및`, `,`, `/`, `·`, `그리고`, or a
    /// `와`/`과` that ends a word.
    fn joins_topics(&self, from: usize, to: usize) -> bool {
        let Some(gap) = self.text.get(from..to) else {
            return false;
        };
        if gap.contains('및')
            || gap.contains(',')
            || gap.contains('/')
            || gap.contains('·')
            || gap.contains('&')
            || gap.contains("그리고")
        {
            return true;
        }
        gap.char_indices().any(|(at, ch)| {
            (ch == '와' || ch == '과') && self.spaced_after.contains(&(from + at + ch.len_utf8()))
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Score {
    category: Category,
    total: f32,
    /// Where the first phrase that names the topic outright starts, if any.
    first_naming: Option<(usize, usize)>,
}

fn scores(compact: &Compact) -> Vec<Score> {
    Category::ALL
        .iter()
        .map(|&category| {
            // Phrases found, heaviest first; a phrase inside a heavier one found at the same
            // place (`입사후` in `입사후포부`) adds nothing.
            let mut found: Vec<(u8, usize, usize)> = PHRASES
                .iter()
                .filter(|(c, _, _)| *c == category)
                .filter_map(|&(_, phrase, weight)| {
                    compact
                        .text
                        .find(phrase)
                        .map(|at| (weight, at, at + phrase.len()))
                })
                .collect();
            found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut counted: Vec<(u8, usize, usize)> = Vec::with_capacity(found.len());
            for (weight, start, end) in found {
                if counted.iter().all(|&(_, s, e)| end <= s || start >= e) {
                    counted.push((weight, start, end));
                }
            }
            let best = counted.first().map_or(0, |&(weight, _, _)| weight);
            let rest: u32 = counted.iter().skip(1).map(|&(w, _, _)| u32::from(w)).sum();
            let first_naming = counted
                .iter()
                .filter(|&&(weight, _, _)| weight >= NAMING_WEIGHT)
                .map(|&(_, start, end)| (start, end))
                .min();
            Score {
                category,
                total: f32::from(best) + rest as f32 * 0.25,
                first_naming,
            }
        })
        .collect()
}

/// The category of a cover-letter question (numbering and limit marks may be included).
pub fn categorize(question: &str) -> Category {
    let compact = Compact::new(question);
    let scores = scores(&compact);
    // Highest score; on a tie the earlier category of the product table.
    let Some(best) =
        scores
            .iter()
            .copied()
            .reduce(|kept, next| if next.total > kept.total { next } else { kept })
    else {
        return Category::Other;
    };
    if best.total < MIN_SCORE {
        return Category::Other;
    }
    // `A 및 B`: the topic named first, when both are named outright and close in score.
    let chosen = match best.first_naming {
        Some((best_start, _)) => scores
            .iter()
            .filter(|s| s.total >= best.total - COORDINATED_MARGIN)
            .filter_map(|s| s.first_naming.map(|span| (s, span)))
            .filter(|(_, (start, end))| {
                *start < best_start && compact.joins_topics(*end, best_start)
            })
            .min_by_key(|(_, (start, _))| *start)
            .map_or(best, |(s, _)| *s),
        None => best,
    };
    chosen.category
}

/// How plainly a short title names a cover-letter topic: the weight of its strongest phrase
/// (0 when it names none). `성장과정` → 7, `데이터 분석 역량` → 3.
pub(crate) fn heading_strength(title: &str) -> u8 {
    let compact = Compact::new(title);
    PHRASES
        .iter()
        .filter(|(category, phrase, _)| {
            *category != Category::Other && compact.text.contains(phrase)
        })
        .map(|&(_, _, weight)| weight)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    /// Real-style questions of Korean companies' forms, written for this test (not taken
    /// from the fixture corpus), with the category a recruiter would file them under.
    const QUESTIONS: &[(&str, Category)] = &[
        (
            "삼성전자를 지원한 이유와 입사 후 회사에서 이루고 싶은 꿈을 기술하십시오.",
            Motivation,
        ),
        ("당사에 지원하게 된 동기를 작성해 주세요.", Motivation),
        (
            "왜 우리 회사여야 하는지, 지원 동기를 구체적으로 서술하시오.",
            Motivation,
        ),
        (
            "해당 직무를 선택한 이유와 이를 위해 준비한 과정을 기술해 주세요.",
            Motivation,
        ),
        ("지원동기", Motivation),
        (
            "본 회사에 관심을 갖게 된 계기와 지원 이유는 무엇입니까?",
            Motivation,
        ),
        (
            "LG에너지솔루션에 지원한 동기를 구체적으로 기술해 주십시오. (700자)",
            Motivation,
        ),
        ("지원동기 및 입사 후 포부", Motivation),
        ("입사 후 포부를 기술하시오.", FuturePlan),
        (
            "입사 후 10년 동안의 회사생활 시나리오와 그것을 추구하는 이유를 작성해 주세요.",
            FuturePlan,
        ),
        (
            "입사 후 이루고 싶은 목표와 이를 위한 실천 계획을 작성해 주십시오.",
            FuturePlan,
        ),
        ("입사 후 포부", FuturePlan),
        (
            "당사에 입사한다면 어떤 기여를 할 수 있는지 기술하시오.",
            FuturePlan,
        ),
        (
            "10년 후 당사에서의 본인의 모습을 그려 보십시오.",
            FuturePlan,
        ),
        (
            "본인의 커리어 목표와 이를 달성하기 위한 계획을 기술해 주세요.",
            CareerGoal,
        ),
        ("장기적인 경력 목표는 무엇입니까?", CareerGoal),
        (
            "해당 분야의 전문가로 성장하기 위한 본인의 계획을 서술하시오.",
            CareerGoal,
        ),
        (
            "향후 10년간의 경력 개발 계획을 작성해 주십시오.",
            CareerGoal,
        ),
        (
            "본인이 그리는 직업적 비전과 최종 목표를 설명해 주세요.",
            CareerGoal,
        ),
        ("입사 후 커리어 목표를 구체적으로 기술하시오.", CareerGoal),
        (
            "공동의 목표를 달성하기 위해 다른 사람들과 협력했던 경험을 기술해 주십시오.",
            TeamworkExperience,
        ),
        (
            "팀 프로젝트에서 갈등을 해결한 경험을 서술하시오.",
            TeamworkExperience,
        ),
        (
            "협업 과정에서 본인이 맡은 역할과 기여를 작성해 주세요.",
            TeamworkExperience,
        ),
        (
            "조직 내에서 의견 차이를 조율하여 성과를 낸 경험이 있습니까?",
            TeamworkExperience,
        ),
        (
            "리더십을 발휘하여 팀을 이끈 경험을 기술하시오.",
            TeamworkExperience,
        ),
        (
            "동료와의 갈등을 어떻게 해결했는지 사례를 들어 주세요.",
            TeamworkExperience,
        ),
        (
            "본인이 가장 중요하게 생각하는 가치관은 무엇이며, 그 이유를 기술하시오.",
            Values,
        ),
        (
            "살아오면서 지켜온 신념과 그것이 드러난 경험을 작성해 주세요.",
            Values,
        ),
        ("생활신조", Values),
        (
            "직업을 선택할 때 가장 중요하게 여기는 기준은 무엇입니까?",
            Values,
        ),
        ("본인의 좌우명과 그 의미를 설명해 주십시오.", Values),
        (
            "윤리적 딜레마에 처했을 때 원칙을 지킨 경험을 서술하시오.",
            Values,
        ),
        (
            "지원 직무와 관련된 본인의 역량과 경험을 구체적으로 기술해 주세요.",
            JobSkill,
        ),
        (
            "해당 직무 수행에 필요한 전문성을 갖추기 위해 어떤 노력을 했는지 서술하시오.",
            JobSkill,
        ),
        ("직무역량", JobSkill),
        (
            "본인이 보유한 기술 역량을 프로젝트 경험을 바탕으로 설명해 주세요.",
            JobSkill,
        ),
        ("지원 분야에서 본인이 가진 경쟁력은 무엇입니까?", JobSkill),
        ("전공 지식을 실무에 활용한 경험을 작성하시오.", JobSkill),
        ("본인 성격의 장점과 단점을 기술하시오.", Personality),
        ("성격의 장단점", Personality),
        (
            "자신의 강점과 약점을 사례를 들어 설명해 주세요.",
            Personality,
        ),
        (
            "주변 사람들이 평가하는 본인의 성격은 어떠합니까?",
            Personality,
        ),
        (
            "본인의 단점과 이를 보완하기 위한 노력을 서술하시오.",
            Personality,
        ),
        (
            "예상치 못한 문제를 창의적으로 해결한 경험을 기술해 주세요.",
            ProblemSolving,
        ),
        (
            "어려운 상황에서 문제를 해결했던 경험을 작성하시오.",
            ProblemSolving,
        ),
        (
            "기존의 방식을 개선하여 더 나은 결과를 만든 경험을 서술하시오.",
            ProblemSolving,
        ),
        (
            "큰 어려움을 극복한 경험과 그 과정에서 배운 점을 기술하시오.",
            ProblemSolving,
        ),
        (
            "한정된 자원으로 목표를 달성하기 위해 새로운 방법을 시도한 사례를 들어 주세요.",
            ProblemSolving,
        ),
        (
            "본인에게 주어진 가장 도전적인 과제를 해결한 과정을 기술하십시오.",
            ProblemSolving,
        ),
        (
            "살면서 가장 크게 실패한 경험과 그로부터 배운 점을 작성해 주세요.",
            FailureExperience,
        ),
        (
            "좌절을 겪었던 경험과 이를 극복한 과정을 서술하시오.",
            FailureExperience,
        ),
        (
            "본인의 실수로 일을 그르쳤던 경험이 있다면 기술해 주세요.",
            FailureExperience,
        ),
        (
            "목표를 이루지 못했던 경험과 그 원인을 분석하시오.",
            FailureExperience,
        ),
        (
            "팀 프로젝트에서 실패한 경험과 그 교훈을 기술하시오.",
            FailureExperience,
        ),
        ("본인의 성장 과정을 간략히 기술하시오.", GrowthProcess),
        (
            "현재의 자신에게 가장 큰 영향을 끼친 사건이나 인물을 포함하여 성장 과정을 서술하시오.",
            GrowthProcess,
        ),
        (
            "가정환경과 어린 시절의 경험이 지금의 본인에게 미친 영향을 작성해 주세요.",
            GrowthProcess,
        ),
        ("성장과정", GrowthProcess),
        (
            "학창 시절 가장 기억에 남는 경험은 무엇입니까?",
            GrowthProcess,
        ),
        (
            "최근 사회 이슈 중 하나를 선택하고 이에 관한 본인의 견해를 기술해 주십시오.",
            SocialTopic,
        ),
        (
            "최근 관심 있게 본 뉴스와 그에 대한 생각을 서술하시오.",
            SocialTopic,
        ),
        ("ESG 경영에 대한 본인의 생각을 작성해 주세요.", SocialTopic),
        (
            "인공지능 기술 발전이 사회에 미치는 영향에 대한 견해를 밝히시오.",
            SocialTopic,
        ),
        (
            "최근 우리 산업의 주요 트렌드와 당사의 대응 방안에 대해 논하시오.",
            SocialTopic,
        ),
        ("자신을 자유롭게 표현해 주십시오.", Other),
        ("취미와 특기를 소개해 주세요.", Other),
        ("추가로 하고 싶은 말이 있다면 작성해 주세요.", Other),
        (
            "자신을 나타내는 해시태그 세 개와 그 이유를 작성하시오.",
            Other,
        ),
        ("기타", Other),
        // A second set, written after the first model was built, to check it on questions it
        // had not seen; the phrases it lacked were added from what such questions ask about.
        ("SK하이닉스에 지원하게 된 계기와 입사 후 하고 싶은 일을 작성해 주세요.", Motivation),
        ("현대자동차를 선택한 이유는 무엇입니까?", Motivation),
        ("본인이 회사를 선택하는 기준과 당사가 그 기준에 부합하는 이유를 서술하시오.", Motivation),
        ("자발적으로 최고 수준의 목표를 세우고 끝까지 달성하기 위해 노력한 경험을 서술해 주십시오.", ProblemSolving),
        ("새로운 것을 접목하거나 남다른 아이디어를 통해 문제를 개선했던 경험을 서술해 주십시오.", ProblemSolving),
        ("가장 힘들었던 순간과 그것을 극복한 방법을 서술하시오.", ProblemSolving),
        ("우리 회사의 제품이나 서비스를 개선할 아이디어를 제시하시오.", ProblemSolving),
        ("어려운 문제를 논리적으로 분석하여 해결한 경험을 서술하시오.", ProblemSolving),
        ("기존의 관행을 바꾸어 성과를 낸 경험이 있다면 작성하시오.", ProblemSolving),
        ("지원분야와 관련하여 다른 지원자와 차별화된 본인만의 강점을 기술하시오.", JobSkill),
        ("지원 직무를 수행하기 위해 필요한 역량은 무엇이라고 생각하며, 이를 위해 어떤 준비를 했습니까?", JobSkill),
        ("해당 직무에 필요한 자질과 이를 갖추기 위해 노력한 과정을 기술하시오.", JobSkill),
        ("인턴이나 아르바이트 등 실무 경험을 통해 얻은 역량을 작성하시오.", JobSkill),
        ("본인의 삶에서 가장 큰 영향을 준 경험은 무엇입니까?", GrowthProcess),
        ("본인의 성장 배경과 가족 관계에 대해 서술하시오.", GrowthProcess),
        ("어린 시절부터 현재까지 본인의 삶을 자유롭게 기술하시오.", GrowthProcess),
        ("타인과 함께 일할 때 가장 중요하다고 생각하는 것은 무엇입니까?", TeamworkExperience),
        ("조직 내 구성원 간의 갈등을 중재한 경험을 작성해 주세요.", TeamworkExperience),
        ("다른 사람과 협업하여 시너지를 낸 사례를 작성해 주세요.", TeamworkExperience),
        ("리더 또는 팔로워로서 역할을 수행한 경험을 기술하시오.", TeamworkExperience),
        ("본인이 생각하는 바람직한 직장인의 자세는 무엇입니까?", Values),
        ("정직하게 행동하여 손해를 보았던 경험이 있다면 기술하시오.", Values),
        ("본인이 지켜온 삶의 원칙에 대해 서술하시오.", Values),
        ("가장 존경하는 인물과 그 이유는 무엇입니까?", Values),
        ("최근 읽은 책이나 기사 중 인상 깊었던 내용과 그 이유를 서술하시오.", SocialTopic),
        ("기후 위기 대응을 위한 기업의 역할에 대한 의견을 기술하시오.", SocialTopic),
        ("최근 관심을 가진 사회적 현상에 대한 본인의 생각을 서술하시오.", SocialTopic),
        ("본인의 성격 중 고치고 싶은 점과 그 노력을 기술하시오.", Personality),
        ("본인을 가장 잘 표현하는 단어와 그 이유를 작성하시오.", Personality),
        ("주위 사람들로부터 자주 듣는 평가는 무엇입니까?", Personality),
        ("입사 후 5년 내에 이루고 싶은 목표를 기술하시오.", FuturePlan),
        ("입사 후 회사에 기여할 수 있는 방안을 구체적으로 제시하시오.", FuturePlan),
        ("입사 후 10년 뒤 본인의 모습을 작성해 주세요.", FuturePlan),
        ("당신이 꿈꾸는 미래의 모습과 그것을 이루기 위한 계획은 무엇입니까?", CareerGoal),
        ("향후 본인의 경력 목표와 달성 계획을 기술하시오.", CareerGoal),
        ("어떤 분야의 전문가가 되고 싶은지 서술하시오.", CareerGoal),
        ("계획대로 되지 않았던 경험과 그 원인을 분석해 주세요.", FailureExperience),
        ("노력했지만 원하는 결과를 얻지 못한 경험을 기술하시오.", FailureExperience),
        ("학업 외에 가장 열정적으로 임했던 활동은 무엇입니까?", Other),
        ("본인의 취미나 특기를 소개해 주세요.", Other),
    ];

    #[test]
    fn categorises_real_style_questions() {
        let wrong: Vec<String> = QUESTIONS
            .iter()
            .filter_map(|&(question, expected)| {
                let got = categorize(question);
                (got != expected).then(|| format!("{question} → {got} (expected {expected})"))
            })
            .collect();
        assert!(wrong.is_empty(), "miscategorised:\n{}", wrong.join("\n"));
        let covered: std::collections::HashSet<_> = QUESTIONS.iter().map(|q| q.1).collect();
        assert_eq!(covered.len(), 12, "the table covers every category");
    }

    #[test]
    fn spacing_does_not_matter() {
        assert_eq!(categorize("지원 동기"), categorize("지원동기"));
        assert_eq!(categorize("성격의 장 단점"), Personality);
        assert_eq!(categorize("입사후 포부"), FuturePlan);
    }

    #[test]
    fn coordinated_topics_go_to_the_first_named() {
        assert_eq!(categorize("성장과정 및 성격의 장단점"), GrowthProcess);
        assert_eq!(categorize("입사 후 포부와 지원 동기"), FuturePlan);
    }

    #[test]
    fn nothing_recognisable_is_other() {
        assert_eq!(categorize(""), Other);
        assert_eq!(categorize("자유 주제"), Other);
    }

    #[test]
    fn heading_strength_separates_titles_from_subtitles() {
        assert!(heading_strength("성장과정") >= 5);
        assert!(heading_strength("지원 동기") >= 5);
        assert!(heading_strength("데이터 분석 역량") < 4);
        assert_eq!(heading_strength("취미"), 0);
    }
}
