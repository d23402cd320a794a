//! The categoriser as it was before the trained model (commit 9d504a2): a hand-weighted phrase
//! table, kept only as the reference the categoriser bench compares against.
//!
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
