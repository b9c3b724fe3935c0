// The report page's words in Korean and English.
#include "page_words.hpp"

#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

namespace {

const PageWords kKorean = {
    "ko",
    "ecpipe 일일 리포트",
    "기간",
    "시간대",
    "생성 시각",
    "데이터베이스",
    "성공한 날",
    "차단된 날",
    "실패한 날",
    "데이터 없는 날",
    "주문",
    "매출",
    "격리된 줄",
    "일별 현황 (그날의 마지막 실행 기준)",
    "실행",
    "성공",
    "차단",
    "실패",
    "데이터 없음",
    "실행 중",
    "실행 안 함",
    "통과",
    "미달",
    "이전 실행",
    "마지막 실행",
    "차단·실패한 날의 사유",
    "이 기간에 차단되거나 실패한 날 없음",
    "검사",
    "대상",
    "실패",
    "통과율",
    "기준",
    "줄",
    "사유",
    "단계",
    "오류",
    "검사 결과 없음",
    "플랫폼별 퍼널 (고유 사용자, 기간 합계)",
    "플랫폼",
    "조회",
    "클릭",
    "장바구니",
    "구매",
    "조회→클릭",
    "클릭→장바구니",
    "장바구니→구매",
    "전체 전환",
    "기타 %zu개 플랫폼",
    "일별 주문과 매출 (원)",
    "적재 안 됨",
    "이전 적재분",
    "검사 통과율 (점선: ecpipe.min_pass_rate)",
    "상위 상품 매출 (판매 수량)",
    "실행 이력",
    "실행",
    "날짜",
    "상태",
    "시작",
    "소요",
    "실패 단계",
    "격리 사유",
    "줄 수",
    "예",
    "격리된 줄 없음",
    "이 기간에 데이터 없음",
    "매출 (원)",
    "옅은 막대: 그날의 마지막 실행은 적재하지 않았고, 주문은 이전 실행이 적재한 것",
    "실행 안 한 날",
    "기준 통과율",
    "지금 기준보다 낮음",
};

const PageWords kEnglish = {
    "en",
    "ecpipe daily report",
    "Range",
    "Time zone",
    "Generated at",
    "Database",
    "Days succeeded",
    "Days blocked",
    "Days failed",
    "Days without data",
    "Orders",
    "Revenue",
    "Quarantined lines",
    "Days at a glance (each day's latest run decides)",
    "run",
    "succeeded",
    "blocked",
    "failed",
    "no data",
    "running",
    "not run",
    "pass",
    "fail",
    "earlier runs",
    "latest run",
    "Why days were blocked or failed",
    "no day in this range was blocked or failed",
    "check",
    "population",
    "failed",
    "pass rate",
    "required",
    "line",
    "reason",
    "step",
    "error",
    "no check results",
    "Funnel per platform (distinct users, summed over days)",
    "platform",
    "view",
    "click",
    "cart",
    "purchase",
    "view→click",
    "click→cart",
    "cart→purchase",
    "overall",
    "%zu other platforms",
    "Daily orders and revenue (KRW)",
    "not loaded",
    "an earlier load",
    "Pass rate of the seven checks (dashed: ecpipe.min_pass_rate)",
    "Top products by revenue (units sold)",
    "Runs",
    "run",
    "day",
    "status",
    "started",
    "duration",
    "failed step",
    "Quarantine reasons",
    "lines",
    "example",
    "no quarantined lines",
    "no data in this range",
    "Revenue (KRW)",
    "Faded bars: the day's latest run loaded nothing; its orders are an earlier run's",
    "Days not run",
    "required",
    "below today's bar",
};

}  // namespace

const PageWords& page_words(Language language) { return language == Language::English ? kEnglish : kKorean; }

Language page_language(const nlohmann::json& doc) {
  const auto it = doc.find("language");
  if (it != doc.end() && it->is_string())
    if (const auto l = language_named(it->get<std::string>())) return *l;
  return Language::Korean;
}

std::string status_word(const PageWords& w, const std::string& status) {
  if (status == "succeeded") return w.succeeded;
  if (status == "blocked") return w.blocked;
  if (status == "failed") return w.failed;
  if (status == "no_data") return w.no_data;
  if (status == "running") return w.running;
  if (status.empty()) return w.not_run;
  return status;
}

}  // namespace ecpipe::detail
