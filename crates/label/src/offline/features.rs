//! What the categoriser sees of a question: its words and the topic cues of a fixed lexicon,
//! with the cues of the first thing it asks marked apart.
//!
//! Shared by the build script, which trains the model on `data/questions/train.tsv`, and the
//! library, which applies it: both must see a question the same way. Plain `std` on purpose.

/// The category keys, in the order of the model's weight columns (`Category::ALL`).
#[cfg_attr(not(test), allow(dead_code))] // the build script and the tests read it
pub const CATEGORY_KEYS: [&str; 12] = [
    "MOTIVATION",
    "TEAMWORK_EXPERIENCE",
    "VALUES",
    "JOB_SKILL",
    "PERSONALITY",
    "FUTURE_PLAN",
    "PROBLEM_SOLVING",
    "CAREER_GOAL",
    "FAILURE_EXPERIENCE",
    "GROWTH_PROCESS",
    "SOCIAL_TOPIC",
    "OTHER",
];

/// Topic cues: a concept, whether its phrases name the topic outright (`지원동기`) or only hint
/// at it (`계기`), and its phrases as they appear with spaces removed. The model learns how much
/// each concept counts for each category; the lexicon only says which phrases go together.
pub const LEXICON: &[(&str, bool, &[&str])] = &[
    (
        "MOT",
        true,
        &[
            "지원동기",
            "지원한동기",
            "지원하게된동기",
            "지원하게된이유",
            "지원하게된계기",
            "지원하게된배경",
            "지원한이유",
            "지원이유",
            "지원하는이유",
            "지원하신이유",
            "지원한계기",
            "지원한까닭",
            "지원하려는이유",
            "지원사유",
            "지원을결심",
            "지원결정",
            "입사동기",
            "입사를결심",
            "왜당사",
            "왜우리회사",
            "왜이회사",
            "당사를선택",
            "회사를선택",
            "당사를택",
            "우리회사를택",
            "선택한이유",
            "택한이유",
            "선택하게된",
            "선택한계기",
            "선택한까닭",
            "택하신이유",
            "택했는지",
            "선택했는지",
            "지원하셨는지",
            "지원하였는지",
            "지원했는지",
            "입사하려는이유",
            "함께하고싶은이유",
            "일하고싶은이유",
            "하고싶으신가요",
            "꿈꾸게된",
            "지원분야선택",
        ],
    ),
    (
        "MOT",
        false,
        &[
            "동기",
            "이유",
            "계기",
            "선택",
            "관심을",
            "흥미를",
            "끌려",
            "매력",
            "문을두드",
            "희망하는이유",
            "희망하게된",
            "희망하는",
            "택한",
            "배경",
        ],
    ),
    (
        "JOIN",
        false,
        &[
            "입사후",
            "입사하면",
            "입사한다면",
            "입사하게된다면",
            "입사하신다면",
            "입사이후",
            "입행후",
            "입사해서",
            "입사하여",
            "채용된다면",
            "채용된뒤",
            "합격한다면",
            "합류",
            "일원이된다면",
            "일원으로서",
            "구성원이된다면",
            "직원이된다면",
            "근무하게된다면",
            "일하게된다면",
            "들어와서",
            "당사에서",
            "회사에서",
            "우리회사에서",
            "당행에서",
            "신입사원으로",
        ],
    ),
    (
        "PLAN",
        true,
        &[
            "입사후포부",
            "포부",
            "각오",
            "기여할수",
            "기여방안",
            "기여하고",
            "어떤기여",
            "이루고싶은꿈",
        ],
    ),
    (
        "PLAN",
        false,
        &[
            "계획",
            "이루고싶",
            "하고싶은",
            "해보고싶",
            "만들고싶",
            "달성하고싶",
            "실현",
            "기여",
            "역할을하고",
            "되고싶",
            "목표",
        ],
    ),
    (
        "CAREER",
        true,
        &[
            "커리어",
            "경력목표",
            "경력개발",
            "경력계획",
            "경력경로",
            "경력을설계",
            "직업적목표",
            "직업적미래",
            "직업적성취",
            "직업적비전",
            "장기목표",
            "장기적인목표",
            "중장기",
            "궁극적",
            "최종적",
            "롤모델",
            "로드맵",
            "인생목표",
            "생애목표",
            "자기계발계획",
            "자기개발계획",
            "커리어플랜",
            "어떤전문가",
            "전문가로성장",
            "미래의나",
            "미래모습",
            "비전",
        ],
    ),
    (
        "CAREER",
        false,
        &[
            "전문가",
            "직업인",
            "장기",
            "미래",
            "년후",
            "년뒤",
            "평생",
            "도달",
            "자기계발",
            "자기개발",
            "성장계획",
            "쌓아가고싶",
            "되고싶",
            "리더가",
        ],
    ),
    (
        "TEAM",
        true,
        &[
            "협업",
            "협력",
            "협동",
            "팀워크",
            "팀프로젝트",
            "팀과제",
            "팀활동",
            "공동의목표",
            "공동목표",
            "공동작업",
            "갈등",
            "의견차이",
            "의견이엇갈",
            "의견충돌",
            "의견이달랐",
            "리더십",
            "팔로워",
            "대인관계",
            "조율",
            "설득",
            "의사소통",
            "소통",
            "시너지",
            "이해관계자",
            "합의",
        ],
    ),
    (
        "TEAM",
        false,
        &[
            "팀",
            "동료",
            "구성원",
            "함께",
            "공동",
            "다른사람",
            "사람들과",
            "타인",
            "상대방",
            "조직",
            "집단",
            "단체",
            "모임",
            "이끌",
            "이끈",
            "양보",
            "관계",
            "협의",
            "조정자",
            "참여를이끌",
        ],
    ),
    (
        "VAL",
        true,
        &[
            "가치관",
            "생활신조",
            "좌우명",
            "신념",
            "신조",
            "인생관",
            "직업관",
            "직업윤리",
            "윤리",
            "원칙",
            "덕목",
            "청렴",
            "정직",
            "인재상",
            "핵심가치",
            "경영철학",
            "철학",
            "소중히여기",
            "소중하게여기",
            "중요하게여기",
            "중요하게생각",
            "가장중요하다고",
            "중요하다고생각",
            "중요하다고믿",
            "존경하는",
            "양보할수없",
            "삶의태도",
            "마음가짐",
        ],
    ),
    (
        "VAL",
        false,
        &[
            "가치",
            "기준",
            "의미",
            "태도",
            "자세",
            "약속",
            "규칙",
            "공정",
            "신뢰",
            "도덕",
            "옳다",
            "옳지",
            "올바른",
            "바람직",
            "조건",
        ],
    ),
    (
        "JOB",
        true,
        &[
            "직무역량",
            "직무관련",
            "직무와관련",
            "직무와연관",
            "직무수행",
            "직무기술서",
            "전문지식",
            "전문성",
            "핵심역량",
            "기술역량",
            "보유역량",
            "보유기술",
            "역량",
            "경력사항",
            "경력기술",
            "실무경험",
            "실무",
            "업무관련",
            "업무경험",
            "적임자",
            "적합한",
            "포트폴리오",
            "프로그래밍",
            "자격증",
            "전공지식",
            "전공역량",
        ],
    ),
    (
        "JOB",
        false,
        &[
            "직무",
            "지식",
            "기술",
            "스킬",
            "능력",
            "전공",
            "자격",
            "경력",
            "프로젝트",
            "인턴",
            "실습",
            "업무",
            "툴",
            "프로그램",
            "경쟁력",
            "차별화",
            "강점",
            "준비",
            "활용",
            "연구",
            "교육",
            "성과",
            "술기",
            "어학",
            "외국어",
            "분석",
        ],
    ),
    (
        "PERS",
        true,
        &[
            "성격",
            "장단점",
            "장점과단점",
            "장점및단점",
            "단점",
            "약점",
            "강점과약점",
            "성향",
            "기질",
            "별명",
            "보완점",
            "장점과보완",
        ],
    ),
    (
        "PERS",
        false,
        &[
            "장점",
            "강점",
            "보완",
            "평가",
            "표현",
            "비유",
            "키워드",
            "단어",
            "해시태그",
            "모습",
            "스트레스",
            "특성",
            "mbti",
            "사람이라고",
            "어떤사람",
            "나를소개",
            "본인을소개",
            "불리",
        ],
    ),
    (
        "PROB",
        true,
        &[
            "문제해결",
            "해결한",
            "해결했",
            "해결하기위",
            "해결방안",
            "해결책",
            "개선한",
            "개선했",
            "개선하여",
            "개선아이디어",
            "창의적",
            "혁신",
            "효율",
            "도전적",
            "도전해",
            "도전했던",
            "도전경험",
            "돌파",
            "끈기",
            "끈질",
            "목표를세우",
            "목표를달성",
            "높은목표",
            "주도적",
            "주도하여",
            "원인을찾",
            "원인을규명",
            "대응한",
            "대처한",
        ],
    ),
    (
        "PROB",
        false,
        &[
            "문제",
            "해결",
            "개선",
            "창의",
            "아이디어",
            "도전",
            "주도",
            "변화",
            "원인",
            "대응",
            "대처",
            "방법",
            "방안",
            "전략",
            "시도",
            "성과",
            "달성",
            "우선순위",
            "기획",
        ],
    ),
    (
        "FAIL",
        true,
        &[
            "실패",
            "좌절",
            "극복",
            "역경",
            "난관",
            "시련",
            "고난",
            "한계를",
            "힘들었던",
            "힘든시기",
            "힘들었",
            "실수",
            "후회",
            "포기하고싶",
            "포기직전",
            "이겨낸",
            "이겨냈",
            "버텨",
            "실망",
            "뜻대로되지",
            "뼈아픈",
            "어려움을극복",
            "어려움을이겨",
            "어려웠던경험",
            "가장어려웠",
        ],
    ),
    (
        "FAIL",
        false,
        &[
            "어려움",
            "어려운",
            "위기",
            "힘든",
            "힘들",
            "실패",
            "떨어진",
            "얻은교훈",
            "교훈",
            "착오",
            "잘못",
        ],
    ),
    (
        "GROW",
        true,
        &[
            "성장과정",
            "성장배경",
            "성장환경",
            "성장스토리",
            "성장기",
            "어린시절",
            "유년",
            "학창시절",
            "학창",
            "학교생활",
            "가정환경",
            "터닝포인트",
            "전환점",
            "인생곡선",
            "살아온",
            "자라온",
            "자란",
            "자랐",
        ],
    ),
    (
        "GROW",
        false,
        &[
            "성장",
            "가정",
            "가족",
            "부모",
            "형성",
            "영향을",
            "청소년",
            "고향",
            "살아오",
            "대학생활",
            "지금의나",
            "지금의본인",
            "현재의본인",
            "현재의자신",
            "나를만든",
            "만든경험",
        ],
    ),
    (
        "SOC",
        true,
        &[
            "사회이슈",
            "시사",
            "이슈",
            "뉴스",
            "견해",
            "찬반",
            "사회적논란",
            "사회문제",
            "사회현상",
            "esg",
            "트렌드",
            "동향",
        ],
    ),
    (
        "SOC",
        false,
        &[
            "사회",
            "입장",
            "산업",
            "시장",
            "정책",
            "규제",
            "기후",
            "환경",
            "경제",
            "전망",
            "영향",
            "저출산",
            "고령화",
            "고용",
            "논하",
            "의견",
            "미칠",
            "미치는",
            "기회와위협",
            "시사점",
        ],
    ),
    (
        "OTH",
        true,
        &[
            "자기pr",
            "자유기술",
            "자유기재",
            "자유양식",
            "자유주제",
            "자유롭게",
            "취미",
            "특기",
            "하고싶은말",
            "하고싶은이야기",
            "기타사항",
            "특이사항",
            "추가로",
            "어필",
            "궁금한점",
            "삼행시",
            "광고문구",
            "무인도",
            "타임머신",
        ],
    ),
    (
        "OTH",
        false,
        &[
            "기타",
            "자유",
            "영화",
            "책",
            "재능",
            "해외",
            "봉사",
            "대외활동",
            "메시지",
            "한마디",
            "사진",
            "희망근무지",
            "소개해",
        ],
    ),
];

/// The lexicon's phrases by their first character: `(index into LEXICON, phrase)`.
static PHRASES_BY_FIRST_CHAR: std::sync::LazyLock<
    std::collections::HashMap<char, Vec<(usize, &'static str)>>,
> = std::sync::LazyLock::new(|| {
    let mut index: std::collections::HashMap<char, Vec<(usize, &'static str)>> =
        std::collections::HashMap::new();
    for (concept, &(_, _, phrases)) in LEXICON.iter().enumerate() {
        for phrase in phrases {
            if let Some(first) = phrase.chars().next() {
                index.entry(first).or_default().push((concept, phrase));
            }
        }
    }
    index
});

/// Joins two topics in one sentence: the first thing asked ends at the first of these.
const COORDINATORS: &[&str] = &[
    "및",
    "그리고",
    ",",
    "/",
    "·",
    "와 ",
    "과 ",
    "하고 ",
    "이며",
    "이고",
    "며 ",
];
/// Endings of a sentence that instructs the applicant: it asks something even if it ends in `다.`.
const DIRECTIVES: &[&str] = &["십시오", "시오", "주세요", "바랍니다"];

/// One feature of a question and the text it stands for (the deciding cue users see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub shown: String,
}

/// The features of one question: `w:` words, `b:` the character pairs inside the words, `k:`
/// lexicon concepts anywhere, `f:` concepts of the first thing asked. A concept is `NAME!` when
/// a phrase naming the topic outright matched.
pub fn features(question: &str) -> Vec<Feature> {
    let text = strip_limit(strip_marker(question));
    let (main, aside) = split_asides(text);
    let mut out = Vec::new();
    for (prefix, part) in [("w", main.as_str()), ("pw", aside.as_str())] {
        for word in words(part) {
            if is_instruction(&word) {
                continue;
            }
            if prefix == "w" {
                out.extend(pairs(&word));
            }
            out.push(Feature {
                name: format!("{prefix}:{word}"),
                shown: word,
            });
        }
    }
    for (prefix, part) in [("k", main.as_str()), ("pk", aside.as_str())] {
        for (concept, phrase) in concept_hits(&compact(part)) {
            out.push(Feature {
                name: format!("{prefix}:{concept}"),
                shown: phrase.to_owned(),
            });
        }
    }
    let first = first_asked(&main);
    for (concept, phrase) in concept_hits(&compact(first)) {
        out.push(Feature {
            name: format!("f:{concept}"),
            shown: phrase.to_owned(),
        });
    }
    out
}

/// `b:` features: each pair of neighbouring characters inside a word (`지원하게` → `지원`,
/// `원하`, `하게`). A stem the training set has only seen inflected otherwise (`지원하시게` beside
/// `지원하게`, `협업하며` beside `협업한`) still shares most of its pairs, so the model
/// recognises words it was never shown whole.
fn pairs(word: &str) -> Vec<Feature> {
    let chars: Vec<char> = word.chars().collect();
    chars
        .windows(2)
        .map(|pair| {
            let shown: String = pair.iter().collect();
            Feature {
                name: format!("b:{shown}"),
                shown,
            }
        })
        .collect()
}

/// The question apart from what it says in brackets, and what it says in brackets: guidance
/// (`(열정의 동기, 어려웠던 점, 느낀 점 포함)`) names topics the question does not ask about
/// first, so its words are features of their own.
fn split_asides(text: &str) -> (String, String) {
    let mut main = String::with_capacity(text.len());
    let mut aside = String::new();
    let mut depth = 0usize;
    // A bracketed title at the start (`[지원동기]`, `<협업 경험>`) names the topic: it stays.
    let text = text.trim_start();
    let title_end = text
        .starts_with(['[', '［', '【', '<', '〈', '《'])
        .then(|| text.find([']', '］', '】', '>', '〉', '》']))
        .flatten()
        .map_or(0, |end| end + 1);
    main.push_str(&text[..title_end]);
    for c in text[title_end..].chars() {
        match c {
            '(' | '（' | '[' | '［' | '【' | '<' | '〈' | '《' => {
                depth += 1;
                aside.push(' ');
            }
            ')' | '）' | ']' | '］' | '】' | '>' | '〉' | '》' if depth > 0 => {
                depth -= 1;
                aside.push(' ');
                main.push(' ');
            }
            _ if depth > 0 => aside.push(c),
            _ => main.push(c),
        }
    }
    if main.trim().is_empty() {
        // A question all in brackets (`[지원동기]`) is its own main text.
        return (aside, String::new());
    }
    (main, aside)
}

/// Each concept of the lexicon found in `compact`, once, with its longest matching phrase. A
/// phrase found only inside a longer phrase of another concept is that concept's
/// (`환경` in `성장환경`, `지원` in `지원자`): it adds nothing of its own.
fn concept_hits(compact: &str) -> Vec<(String, &'static str)> {
    // Per concept of the lexicon: its longest phrase found and where that phrase first occurs.
    let mut best: Vec<Option<(&'static str, usize)>> = vec![None; LEXICON.len()];
    for (at, first) in compact.char_indices() {
        let Some(starting) = PHRASES_BY_FIRST_CHAR.get(&first) else {
            continue;
        };
        let rest = &compact[at..];
        for &(concept, phrase) in starting {
            if rest.starts_with(phrase)
                && best[concept].is_none_or(|(kept, _)| phrase.len() > kept.len())
            {
                best[concept] = Some((phrase, at));
            }
        }
    }
    let found: Vec<(&str, bool, &'static str, usize)> = best
        .iter()
        .enumerate()
        .filter_map(|(index, hit)| {
            let (concept, strong, _) = LEXICON[index];
            hit.map(|(phrase, at)| (concept, strong, phrase, at))
        })
        .collect();
    let inside_another = |&(concept, _, phrase, at): &(&str, bool, &str, usize)| {
        found.iter().any(|&(other, _, longer, start)| {
            other != concept
                && longer.len() > phrase.len()
                && start <= at
                && at + phrase.len() <= start + longer.len()
        })
    };
    found
        .iter()
        .filter(|hit| !inside_another(hit))
        .map(|&(concept, strong, phrase, _)| {
            let name = if strong {
                format!("{concept}!")
            } else {
                concept.to_owned()
            };
            (name, phrase)
        })
        .collect()
}

/// Verbs that only tell the applicant to write (`기술하시오`, `작성해`, `서술하여`), and the
/// words around them that say how (`구체적으로`, `주십시오`): the same in every category, and
/// `기술` (to describe) must not be read as `기술` (technology).
const INSTRUCTION_STEMS: &[&str] = &[
    "기술하",
    "기술해",
    "서술하",
    "서술해",
    "작성하",
    "작성해",
    "기재하",
    "기재해",
    "설명하",
    "설명해",
    "적어",
    "써",
    "말씀해",
    "말씀하",
    "제시하",
    "제시해",
    "언급하",
    "언급해",
    "기술하여",
    "작성하여",
    "서술하여",
    "소개하",
    "소개해",
    "들려",
    "밝혀",
    "알려",
];
/// Words that ask about nothing in particular (`이유를`, `어떤`, `본인이`), their particles
/// aside: every category asks for reasons, and the topic is in the other words.
const GENERIC_STEMS: &[&str] = &[
    "이유",
    "까닭",
    "근거",
    "생각",
    "무엇",
    "어떤",
    "어떻게",
    "어떠한",
    "본인",
    "자신",
    "지원자",
    "귀하",
    "가장",
    "하나",
    "가지",
    "선택",
    "그것",
    "이것",
];
const FILLER_WORDS: &[&str] = &[
    "주십시오",
    "주세요",
    "주시기",
    "바랍니다",
    "주시오",
    "주시고",
    "주십시요",
    "구체적으로",
    "상세히",
    "간략히",
    "간단히",
    "구체적인",
    "있다면",
    "있으면",
    "대해",
    "대하여",
    "대해서",
    "관하여",
    "관해",
    "함께",
    "포함하여",
    "바탕으로",
    "통해",
    "위해",
    "위하여",
    "등",
    "및",
    "그",
    "이를",
    "이",
    "것",
    "수",
    "본인의",
    "본인이",
    "본인은",
    "자신의",
    "지원자의",
    "귀하의",
];

fn is_instruction(word: &str) -> bool {
    FILLER_WORDS.contains(&word)
        || GENERIC_STEMS
            .iter()
            .any(|stem| word.starts_with(stem) && word.chars().count() <= stem.chars().count() + 2)
        || INSTRUCTION_STEMS
            .iter()
            .any(|stem| word.starts_with(stem) && word.chars().count() <= stem.chars().count() + 5)
}

/// The text with whitespace and punctuation removed, ASCII lower-cased, digits as `0`.
pub fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .map(fold_char)
        .collect()
}

fn fold_char(c: char) -> char {
    if c.is_ascii_digit() {
        '0'
    } else {
        c.to_ascii_lowercase()
    }
}

/// The words of the text: runs of letters and digits, folded like [`compact`].
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word.chars().map(fold_char).collect())
        .collect()
}

/// The first thing the question asks: the first sentence that asks (a statement about the
/// company before the question does not), and in it the first part, up to a word joining it
/// to a second topic, that names anything of the lexicon (a list of places or contexts before
/// the topic, `고객, 협력사 등과 협업한 경험`, is skipped over).
pub fn first_asked(text: &str) -> &str {
    let sentences = sentences(text);
    let asking = sentences.iter().find(|sentence| {
        let trimmed = sentence.trim_end();
        let statement = trimmed.ends_with("다.") && !DIRECTIVES.iter().any(|d| trimmed.contains(d));
        sentences.len() == 1 || !statement
    });
    let first = asking.or(sentences.first()).copied().unwrap_or(text);
    let mut start = 0;
    while start < first.len() {
        let rest = &first[start..];
        let cut = COORDINATORS
            .iter()
            .filter_map(|coordinator| rest.find(coordinator).map(|at| (at, coordinator.len())))
            .filter(|(at, _)| *at > 0)
            .min();
        let (end, skip) = cut.unwrap_or((rest.len(), 0));
        let part = &rest[..end];
        if !concept_hits(&compact(part)).is_empty() {
            return part;
        }
        start += end + skip;
    }
    first
}

/// Sentences: split after `.`, `?` or `!` followed by whitespace.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if matches!(c, '.' | '?' | '!')
            && chars.peek().is_some_and(|(_, next)| next.is_whitespace())
        {
            let end = at + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(text[start..end].trim());
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// The question without its numbering or bullet: `1.`, `Q2.`, `[문항 3]`, `(4)`, `①`, `■`.
pub fn strip_marker(question: &str) -> &str {
    let mut text = question.trim_start();
    for _ in 0..2 {
        let rest = strip_one_marker(text);
        if rest.len() == text.len() {
            break;
        }
        text = rest.trim_start();
    }
    text
}

fn strip_one_marker(text: &str) -> &str {
    let mut chars = text.char_indices().peekable();
    let Some(&(_, first)) = chars.peek() else {
        return text;
    };
    let code = u32::from(first);
    let circled = (0x2460..=0x2473).contains(&code)
        || (0x2474..=0x2487).contains(&code)
        || (0x2776..=0x2789).contains(&code);
    if circled || "■□▶▷►●○◆◇•·※▣◈◎☞-–—*".contains(first) {
        return text[first.len_utf8()..].trim_start_matches(['.', ')', ' ']);
    }
    // Brackets, a label (`문항`, `질문`, `Q`), a number, `번`, closing brackets, punctuation.
    let mut at = 0;
    let bytes_after =
        |s: &str, prefix: &str| s.strip_prefix(prefix).map(|rest| s.len() - rest.len());
    let rest = &text[at..];
    if let Some(n) = ["[", "【", "<", "〈", "(", "（"]
        .iter()
        .find_map(|p| bytes_after(rest, p))
    {
        at += n;
    }
    let rest = text[at..].trim_start();
    at = text.len() - rest.len();
    let mut labeled = false;
    if let Some(n) = ["문항", "질문", "Q", "q"]
        .iter()
        .find_map(|p| bytes_after(rest, p))
    {
        at += n;
        labeled = true;
    }
    let rest = text[at..].trim_start();
    at = text.len() - rest.len();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 && !labeled {
        return text;
    }
    if digits > 2 {
        return text;
    }
    at += digits;
    let rest = &text[at..];
    let rest = rest.strip_prefix("번").unwrap_or(rest).trim_start();
    let closing = rest
        .strip_prefix([']', '】', '>', '〉', ')', '）', '.', ':', '：'])
        .map(|r| r.strip_prefix(['.', ':', ')']).unwrap_or(r));
    match closing {
        // `1.5배`: a number, not numbering.
        Some(after) if digits > 0 && after.starts_with(|c: char| c.is_ascii_digit()) => text,
        Some(after) => after,
        None if labeled && digits > 0 => rest,
        None => text,
    }
}

/// The question without a length limit at its end: `(500자)`, `[최대 1,000 bytes]`,
/// `700자 이내`.
pub fn strip_limit(text: &str) -> &str {
    let trimmed = text.trim_end().trim_end_matches('.');
    if let Some(inner_start) = trimmed
        .strip_suffix([')', ']', '）', '］', '】'])
        .and_then(|body| body.rfind(['(', '[', '（', '［', '【']))
    {
        let inner = &trimmed[inner_start..];
        if inner.chars().any(|c| c.is_ascii_digit()) && has_unit(inner) {
            return trimmed[..inner_start].trim_end();
        }
    }
    // `… 700자 이내`: the last number of the text, followed by a unit near the end.
    if let Some(digit) = trimmed.rfind(|c: char| c.is_ascii_digit()) {
        let mut start = digit;
        while let Some(c) = trimmed[..start].chars().next_back() {
            if c.is_ascii_digit() || c == ',' {
                start -= c.len_utf8();
            } else {
                break;
            }
        }
        let tail = &trimmed[start..];
        if tail.chars().count() <= 12 && has_unit(tail) {
            return trimmed[..start].trim_end();
        }
    }
    text
}

fn has_unit(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["자", "byte", "바이트", "글자", "char"]
        .iter()
        .any(|unit| lower.contains(unit))
}
