// What the page says, in Korean: category labels, stages, and every error name explained in words
// a job seeker understands. The HTTP API's names are typed from the contract (a new name there
// fails the type check until it has a message here); the pipeline's names are checked against the
// wire table by test/unit/messages.test.mjs.

/** @typedef {import("../../types/contracts").Category} Category */
/** @typedef {import("../../types/contracts").FileStatus} FileStatus */
/** @typedef {import("../../types/contracts").JobStatus} JobStatus */
/** @typedef {import("../../types/contracts").ApiErrorName} ApiErrorName */

/** @type {Record<Category, string>} */
export const CATEGORY_LABELS = {
  MOTIVATION: "지원동기",
  TEAMWORK_EXPERIENCE: "협업경험",
  VALUES: "가치관",
  JOB_SKILL: "직무역량",
  PERSONALITY: "성격의 장단점",
  FUTURE_PLAN: "입사 후 포부",
  PROBLEM_SOLVING: "문제해결",
  CAREER_GOAL: "커리어 목표",
  FAILURE_EXPERIENCE: "실패경험",
  GROWTH_PROCESS: "성장과정",
  SOCIAL_TOPIC: "사회이슈",
  OTHER: "기타",
};

/** @type {Record<FileStatus | "UPLOADING" | "UPLOADED", string>} */
export const FILE_STATUS_LABELS = {
  UPLOADING: "올리는 중",
  UPLOADED: "올림 완료",
  PENDING: "대기 중",
  EXTRACTING: "글자 읽는 중",
  LABELING: "문항 나누는 중",
  SUCCEEDED: "완료",
  FAILED: "실패",
};

/** @type {Record<JobStatus, string>} */
export const JOB_STATUS_LABELS = {
  CREATED: "시작 전",
  RUNNING: "분석 중",
  SUCCEEDED: "완료",
  PARTIAL: "일부 완료",
  FAILED: "실패",
};

/**
 * Pipeline error names (the wire table in crates/domain and the reaper's job-level names).
 * @type {Record<string, string>}
 */
export const PIPELINE_ERRORS = {
  "Extract.NotPdf": "PDF 파일이 아니거나 내용이 비어 있습니다. 문서를 PDF로 저장해 다시 올려 주세요.",
  "Extract.Encrypted": "비밀번호가 걸린 PDF입니다. 비밀번호를 해제한 뒤 다시 올려 주세요.",
  "Extract.NoText":
    "글자를 읽을 수 없는 PDF입니다(스캔한 이미지 등). 워드프로세서에서 PDF로 저장한 파일을 올려 주세요.",
  "Extract.Corrupt": "파일이 손상되어 열 수 없습니다. 문서를 PDF로 다시 저장해 올려 주세요.",
  "Extract.TooLarge": "파일이 너무 크거나 쪽수가 너무 많습니다. 5MB, 30쪽 이내로 줄여 주세요.",
  "Label.RateLimited": "분석 서비스가 붐벼 이번에는 처리하지 못했습니다. 잠시 뒤 다시 시도해 주세요.",
  "Label.Upstream": "분석 서비스에 일시적인 문제가 있었습니다. 잠시 뒤 다시 시도해 주세요.",
  "Label.Timeout": "분석 서비스의 응답이 너무 늦었습니다. 잠시 뒤 다시 시도해 주세요.",
  "Label.InvalidResponse":
    "문항과 답변을 나누지 못했습니다. 문항 번호나 제목이 드러나게 정리해 다시 올려 주세요.",
  "Label.Undeliverable": "이 파일을 분석하는 중에 서비스 오류가 반복되었습니다. 잠시 뒤 다시 시도해 주세요.",
  "Label.Auth": "서비스 설정 문제로 분석하지 못했습니다. 운영자에게 알려 주세요.",
  "Label.Empty": "분석할 글이 없습니다. 내용이 있는 자기소개서를 올려 주세요.",
  "Storage.Unavailable": "저장소에 일시적인 문제가 있었습니다. 다시 시도해 주세요.",
  "Storage.NotFound": "올린 파일을 찾지 못했습니다. 다시 올려 주세요.",
  "Input.Invalid": "처리 중 예기치 못한 문제가 생겼습니다. 다시 시도해 주세요.",
  "Internal.Panic": "처리 중 예기치 못한 문제가 생겼습니다. 다시 시도해 주세요.",
  "States.Timeout": "처리 시간이 너무 오래 걸렸습니다. 다시 시도해 주세요.",
  "States.Runtime": "처리 중 예기치 못한 문제가 생겼습니다. 다시 시도해 주세요.",
  "Job.Aborted": "작업이 중단되었습니다. 다시 시도해 주세요.",
  "Job.TimedOut": "처리 시간이 너무 오래 걸려 작업이 중단되었습니다. 다시 시도해 주세요.",
  "Job.Failed": "작업을 끝내지 못했습니다. 다시 시도해 주세요.",
};

/**
 * The HTTP API's names (contracts/http-api.openapi.yaml), plus those later issues add.
 * @type {Record<ApiErrorName, string> & Record<string, string>}
 */
export const API_ERRORS = {
  "Request.Invalid": "요청을 처리할 수 없습니다. 파일을 다시 골라 주세요.",
  "Auth.Unauthorized": "로그인이 만료되었습니다. 다시 로그인해 주세요.",
  "Job.NotFound": "찾을 수 없음: 이 주소의 작업이 없거나, 다른 사용자의 작업입니다.",
  "Upload.Missing": "파일이 끝까지 올라가지 않았습니다. 다시 올려 주세요.",
  "Upload.TooLarge": "5MB보다 큰 파일은 올릴 수 없습니다.",
  "Upload.NotPdf": "PDF가 아닌 파일이 있습니다. PDF 파일만 올려 주세요.",
  "Upload.SizeMismatch": "올라간 파일의 크기가 처음과 다릅니다. 다시 올려 주세요.",
  "Internal.Error": "서버에 문제가 생겼습니다. 잠시 뒤 다시 시도해 주세요.",
  "Service.Unavailable": "서비스가 잠시 응답하지 않습니다. 잠시 뒤 다시 시도해 주세요.",
  "Job.Running": "아직 처리 중인 작업은 지울 수 없습니다. 작업이 끝난 뒤 다시 시도해 주세요.",
  "Quota.Exceeded":
    "분석 요청 한도에 닿았습니다(동시에 처리하는 작업 수 또는 하루 한도). 진행 중인 작업이 끝난 뒤나 나중에 다시 시도해 주세요.",
  // The page's own names for what happens before an answer comes.
  "Network.Failed": "서버에 닿지 못했습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.",
  "Upload.Refused": "저장소가 파일을 받지 않았습니다(올리기 주소가 만료되었을 수 있습니다). 다시 올려 주세요.",
  "Upload.Failed": "파일을 올리지 못했습니다. 다시 시도해 주세요.",
};

/** Why the page asks to sign in again when the server closed the live connection. */
export const SESSION_EXPIRED =
  "로그인이 만료되어 실시간 연결이 끊겼습니다. 다시 로그인하면 작업을 다시 열어 이어서 보여 드립니다.";

const UNKNOWN_ERROR = "처리 중 문제가 생겼습니다. 다시 시도해 주세요.";

/**
 * A failure's explanation for people; the name itself is shown beside it for support.
 * @param {string | undefined} name
 */
export function explainError(name) {
  if (!name) return UNKNOWN_ERROR;
  return PIPELINE_ERRORS[name] ?? API_ERRORS[name] ?? UNKNOWN_ERROR;
}

/** @param {Category | string} key */
export function categoryLabel(key) {
  return /** @type {Record<string, string>} */ (CATEGORY_LABELS)[key] ?? CATEGORY_LABELS.OTHER;
}
