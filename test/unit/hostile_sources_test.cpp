// Hostile data sources: check 7's reference platform, values cut in reasons and
// samples, bounded samples, U+0000 in a decoded extra_data, the line length bound, and files that are not files.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "ecpipe/interrupts.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/raw_event.hpp"
#include "event_fixture.hpp"

using namespace ecpipe;
using fixture::counts;
using fixture::detail_of;
using fixture::event;
using fixture::json;
using fixture::P;
using fixture::run;
using fixture::run_events;

namespace {
json on(json e, const char* platform, const char* device) {
  if (platform)
    e["platform"] = platform;
  else
    e.erase("platform");
  e["device_type"] = device;
  return e;
}
std::string temp_path(const char* name) { return ::testing::TempDir() + "/" + name; }
}  // namespace

// ---- check 7's reference platform ---------------------------------------------------------------------
TEST(ReferencePlatform, FirstEventWithoutPlatformDoesNotHideASwitch) {
  // Session 1: no platform (t=0), then web (t=5), then ios (t=10): ios differs from web, the reference.
  auto r =
      run_events({on(event("page_view", 1, 1, 0), nullptr, "desktop"),
                  on(event("page_view", 2, 1, 5), "web", "desktop"), on(event("click", 3, 1, 10), "ios", "mobile")});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(2, 1));
  EXPECT_EQ(r.lines[2].failed, check_bit(CheckId::PlatformDevice));
  EXPECT_EQ(detail_of(r, 3), "platform_device: platform ios differs from web, the platform of session " +
                                 fixture::uuid(900001) + " at line 2");
}

TEST(ReferencePlatform, EmptyPlatformIsOutsideThePopulation) {
  auto r =
      run_events({on(event("page_view", 1, 1, 0), "", "desktop"), on(event("page_view", 2, 1, 5), "android", "mobile"),
                  on(event("click", 3, 1, 10), "web", "desktop"), on(event("click", 4, 1, 20), "android", "mobile")});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(3, 1));
  EXPECT_EQ(r.lines[0].failed, check_bit(CheckId::RequiredFields)) << "\"\" is a missing platform, never check 7's";
  EXPECT_EQ(r.lines[2].failed, check_bit(CheckId::PlatformDevice));
  EXPECT_EQ(r.lines[3].failed, 0);
}

TEST(ReferencePlatform, InvalidTimestampCannotBeTheReference) {
  // Line 1 is first in the file with ios, but its timestamp is invalid: web at t=5 is the reference, so line 3's ios
  // is compared with web and fails; line 1 is outside the session rule (it still counts in the population).
  auto first = on(event("page_view", 1, 1, 0), "ios", "mobile");
  first["timestamp"] = "2024-13-01T10:00:00";
  auto r = run_events(
      {first, on(event("page_view", 2, 1, 5), "web", "desktop"), on(event("click", 3, 1, 10), "ios", "mobile")});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(3, 1));
  EXPECT_EQ(r.lines[0].failed & check_bit(CheckId::PlatformDevice), 0);
  EXPECT_EQ(r.lines[2].failed, check_bit(CheckId::PlatformDevice));
}

TEST(ReferencePlatform, ReferenceIsBySessionOrderNotLineOrder) {
  // Written first: t=10 without platform; then t=5 ios; then t=0 without platform; then t=20 web → fails vs ios.
  auto r =
      run_events({on(event("page_view", 1, 1, 10), nullptr, "mobile"), on(event("page_view", 2, 1, 5), "ios", "mobile"),
                  on(event("page_view", 3, 1, 0), nullptr, "mobile"), on(event("click", 4, 1, 20), "web", "desktop")});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(2, 1));
  EXPECT_EQ(r.lines[3].failed, check_bit(CheckId::PlatformDevice));
  EXPECT_EQ(r.lines[1].failed, 0);
}

TEST(ReferencePlatform, SessionWithoutAnyPlatformHasNoSwitch) {
  auto r =
      run_events({on(event("page_view", 1, 1, 0), nullptr, "desktop"), on(event("page_view", 2, 1, 5), "", "mobile")});
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(0, 0));
}

TEST(ReferencePlatform, PlatformsPastTheNumberedOnesKeepTheirNames) {
  // 32,000 distinct platforms take every platform number; session 99999 then opens with a platform past them.
  std::vector<json> events;
  char name[16];
  for (int i = 0; i < 32000; ++i) {
    std::snprintf(name, sizeof name, "p%07d", i);
    events.push_back(on(event("page_view", i, i), name, "desktop"));
  }
  events.push_back(on(event("page_view", 40001, 99999, 0), "first-past-cap", "desktop"));
  events.push_back(on(event("page_view", 40002, 99999, 1), "p0000001", "desktop"));
  events.push_back(on(event("page_view", 40003, 99999, 2), "second-past-cap", "desktop"));
  events.push_back(on(event("page_view", 40004, 99999, 3), "first-past-cap", "desktop"));
  auto r = run_events(events);
  const std::string session = ", the platform of session " + fixture::uuid(999999) + " at line 32001";
  EXPECT_EQ(detail_of(r, 32002),
            "value_validity: platform: \"p0000001\" is not one of web, ios, android; "
            "platform_device: platform p0000001 differs from first-past-cap" +
                session);
  EXPECT_EQ(detail_of(r, 32003),
            "value_validity: platform: \"second-past-cap\" is not one of web, ios, android; "
            "platform_device: platform second-past-cap differs from first-past-cap" +
                session)
      << "two platforms past the numbered ones are still told apart";
  EXPECT_EQ(r.lines[32003].failed & check_bit(CheckId::PlatformDevice), 0) << "the same platform as the reference";
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(32004, 2));
}
// ---- values cut, samples bounded ---------------------------------------------------------------------
TEST(CutValue, CutsToCharactersWithAnEllipsisAndKeepsUtf8Valid) {
  EXPECT_EQ(cut_value("short"), "short");
  EXPECT_EQ(cut_value(std::string(201, 'a')), std::string(200, 'a') + "…");
  EXPECT_EQ(cut_value(std::string(200, 'a')), std::string(200, 'a'));
  EXPECT_EQ(cut_value("한국어", 2), "한국…");
  EXPECT_EQ(cut_value(std::string("a\0b", 3)), "a\\u0000b");
  EXPECT_EQ(cut_value("a\xff"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(cut_value("\xC1\x81"), "\xEF\xBF\xBD") << "an overlong sequence is not copied";
  EXPECT_EQ(cut_value("\xED\xA0\x80"), "\xEF\xBF\xBD") << "an encoded surrogate is not copied";
}

TEST(CutValue, MegabytePlatformOpeningASessionKeepsReasonsAndSamplesSmall) {
  std::vector<json> events;
  auto opener = on(event("page_view", 1, 1, 0), "", "desktop");
  opener["platform"] = std::string(1 << 20, 'p');
  events.push_back(opener);
  for (int i = 0; i < 1500; ++i) events.push_back(on(event("page_view", 2 + i, 1, 1 + i % 3000), "web", "desktop"));
  auto r = run_events(events);
  EXPECT_EQ(counts(r, CheckId::PlatformDevice), P(1501, 1500));
  size_t details = 0;
  for (const auto& d : r.details) {
    details += d.size();
    EXPECT_LE(d.size(), kMaxReasonChars + 100);
  }
  EXPECT_LT(details, 1500u * 700) << "each reason quotes at most 200 characters of the platform";
  EXPECT_EQ(detail_of(r, 2), "platform_device: platform web differs from " + std::string(200, 'p') +
                                 "…, the platform of session " + fixture::uuid(900001) + " at line 1");
  const auto& samples = r.check(CheckId::PlatformDevice).samples;
  ASSERT_EQ(samples.size(), kMaxSamples);
  EXPECT_EQ(samples.front().line_no, 2);
  EXPECT_EQ(samples.back().line_no, 21) << "the first kMaxSamples failures in line order";
}

TEST(CutValue, LateSamplesAreTheLowestLinesWhateverTheSessionOrder) {
  // 100 sessions, each a purchase without a cart, written so that session order differs from line order.
  std::vector<json> events;
  for (int s = 100; s >= 1; --s) events.push_back(event("purchase", s, s, 0));
  for (auto& e : events)
    e["order_id"] = "ORD20240501" + std::to_string(100000 + e["event_id"].get<std::string>().back());
  auto r = run_events(events);
  const auto& samples = r.check(CheckId::FunnelSequence).samples;
  ASSERT_EQ(samples.size(), kMaxSamples);
  for (size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(samples[i].line_no, static_cast<int64_t>(i + 1));
  EXPECT_EQ(r.check(CheckId::FunnelSequence).failed, 100);
}

TEST(CutValue, LongIdsAndKeysAreCutInReasonsAndSamples) {
  auto a = event("purchase", 1, 1, 0);
  a["order_id"] = "ORD" + std::string(5000, '1');
  auto b = event("purchase", 2, 1, 5);
  b["order_id"] = a["order_id"];
  b["event_id"] = std::string(5000, 'e');
  std::string repeated = event("page_view", 3).dump();
  repeated.insert(1, "\"" + std::string(5000, 'k') + "\": 1, \"" + std::string(5000, 'k') + "\": 2, ");
  auto r = run(std::vector<std::string>{a.dump(), b.dump(), repeated});
  for (const auto& c : r.checks)
    for (const auto& s : c.samples) {
      EXPECT_LE(s.event_id.size(), 205u);
      EXPECT_LE(s.reason.size(), kMaxReasonChars + 5);
    }
  EXPECT_NE(detail_of(r, 2).find("order_id ORD" + std::string(197, '1') + "… already used"), std::string::npos);
  EXPECT_EQ(detail_of(r, 3), "required_fields: unparseable: repeated key \"" + std::string(200, 'k') + "…\"");
}

// ---- what PostgreSQL cannot store is a check-3 failure ----------------------------------------------
TEST(Storable, NulInsideADecodedExtraDataStringFailsCheckThree) {
  auto nul_value = event("purchase", 1, 1, 0);
  nul_value["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "coupon_code": "a\u0000b"})";
  auto nul_key = event("purchase", 2, 2, 0);
  nul_key["order_id"] = "ORD2024050100002";
  nul_key["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "k\u0000": 1})";
  auto escaped_backslash = event("purchase", 3, 3, 0);  // "\\u0000" decodes to a backslash and "u0000": storable
  escaped_backslash["order_id"] = "ORD2024050100003";
  escaped_backslash["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "coupon_code": "a\\u0000b"})";
  auto r = run_events({nul_value, nul_key, escaped_backslash});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(3, 2));
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
  EXPECT_EQ(r.lines[1].disposition, Disposition::Quarantine);
  EXPECT_EQ(r.lines[2].failed & check_bit(CheckId::ValueValidity), 0);
  EXPECT_EQ(detail_of(r, 1).substr(0, 58), "value_validity: extra_data: a string in it contains U+0000");
}

TEST(Storable, EventWithTooManyJsonValuesFailsCheckThree) {
  auto big = event("page_view", 1);
  big["many"] = std::vector<int>(100001, 0);
  auto fits = event("page_view", 2);
  fits["many"] = std::vector<int>(99000, 0);
  auto r = run_events({big, fits});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(2, 1));
  EXPECT_EQ(detail_of(r, 1), "value_validity: the event holds more than 100000 JSON values");
  EXPECT_EQ(r.lines[1].disposition, Disposition::Raw);
}

TEST(Storable, MoneyThatRoundsPastNumeric14_2GoesToExtras) {
  RawEventExtractor x(fixture::schema());
  FixedOffsetZone utc(0);
  auto e = event("add_to_cart", 1);
  e["unit_price"] = 999999999999.996;
  RawEvent out;
  std::string why;
  ASSERT_TRUE(x.extract(e.dump(), utc, out, why)) << why;
  EXPECT_FALSE(out.hundredths[RawEvent::UnitPrice].has_value());
  ASSERT_TRUE(out.extras.has_value());
  e["unit_price"] = 999999999999.98;
  ASSERT_TRUE(x.extract(e.dump(), utc, out, why)) << why;
  EXPECT_TRUE(out.hundredths[RawEvent::UnitPrice].has_value());
}

// ---- the line length bound and regular files only ----------------------------------------------------
TEST(MaxLine, ALongerLandedLineIsUnparseableWithItsLength) {
  Settings s = fixture::settings();
  s.max_line_bytes = 100;
  auto ok = event("page_view", 1);
  std::string long_line = ok.dump();
  long_line.insert(1, "\"pad\": \"" + std::string(200, 'x') + "\", ");
  auto r = run(std::vector<std::string>{long_line, cut_line(long_line.substr(0, 100), 123456)}, s);
  EXPECT_EQ(counts(r, CheckId::RequiredFields), P(2, 2));
  EXPECT_EQ(detail_of(r, 1), "required_fields: unparseable: line of " + std::to_string(long_line.size()) +
                                 " bytes is longer than ecpipe.max_line_bytes (100)");
  EXPECT_EQ(detail_of(r, 2),
            "required_fields: unparseable: line of 123456 bytes is longer than "
            "ecpipe.max_line_bytes; its first 100 bytes are kept");
  EXPECT_EQ(r.lines[1].disposition, Disposition::Quarantine);
}

TEST(MaxLine, ReaderCutsLongLinesKeepsTheirFirstBytesAndGoesOn) {
  const std::string path = temp_path("ecpipe_long.jsonl");
  const std::string huge(5 << 20, 'z');  // longer than the reader's buffer, with no newline for megabytes
  {
    std::ofstream f(path, std::ios::binary);
    f << "0123456789\n"
      << "abcdefghijk\n"
      << huge << "\n"
      << "tail"
      << "\n"
      << huge;
  }
  LineReader r(path, 10);
  std::vector<std::pair<std::string, uint64_t>> got;
  std::string_view line;
  while (r.next(line)) got.emplace_back(std::string(line), r.cut_from());
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], std::make_pair(std::string("0123456789"), uint64_t{0})) << "exactly max bytes is whole";
  EXPECT_EQ(got[1], std::make_pair(std::string("abcdefghij"), uint64_t{11}));
  EXPECT_EQ(got[2], std::make_pair(std::string(10, 'z'), uint64_t{5 << 20}));
  EXPECT_EQ(got[3], std::make_pair(std::string("tail"), uint64_t{0}));
  EXPECT_EQ(got[4], std::make_pair(std::string(10, 'z'), uint64_t{5 << 20})) << "a last line without newline";
  std::remove(path.c_str());
}

// A file written to while it is read shows a different stamp: what a run compares before and after each read.
TEST(FileStampTest, SizeAndModificationTimeOfTheOpenFile) {
  const std::string path = temp_path("ecpipe_stamp.jsonl");
  { std::ofstream(path, std::ios::binary) << "{\"a\": 1}\n"; }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  LineReader r(path, 1024);
  const FileStamp before = r.stamp();
  EXPECT_EQ(before.size, 9u);
  EXPECT_EQ(before.mtime_sec, st.st_mtim.tv_sec);
  EXPECT_EQ(before.mtime_nsec, st.st_mtim.tv_nsec);
  EXPECT_EQ(r.stamp(), before) << "unchanged while nothing writes";
  { std::ofstream(path, std::ios::binary | std::ios::app) << "{\"a\": 2}\n"; }
  const FileStamp after = r.stamp();
  EXPECT_EQ(after.size, 18u);
  EXPECT_NE(after, before);
  std::remove(path.c_str());
}

// The size hint a step reserves per-line state by: the newlines of the first MiB, scaled to the file's size.
TEST(FileStampTest, EstimatedLinesScaleTheFirstMebibyte) {
  const std::string path = temp_path("ecpipe_estimate.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 300000; ++i) f << "{\"n\": " << (i % 10) << "}\n";  // 10 bytes a line, 3 MB
  }
  LineReader r(path, 1024);
  // 104,857 newlines in the first 1,048,576 bytes: 3,000,000 × 104,857 / 1,048,576 = 299,998.99, + 1
  EXPECT_EQ(r.estimated_lines(), 299999u);
  std::string_view line;
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "{\"n\": 0}") << "reading is not disturbed";
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(5000, 'x'); }
  EXPECT_EQ(LineReader(path, 1024).estimated_lines(), 1u) << "no newline: one line";
  { std::ofstream(path, std::ios::binary | std::ios::trunc); }
  EXPECT_EQ(LineReader(path, 1024).estimated_lines(), 0u) << "an empty file";
  std::remove(path.c_str());
}

namespace {
std::string open_error(const std::string& path) {
  try {
    LineReader r(path, 1024);
    return "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    return e.what();
  }
}
}  // namespace

TEST(RegularFilesOnly, FifoDeviceDirectorySocketAndSymlinkAreRefusedAtOnce) {
  const std::string fifo = temp_path("ecpipe_fifo.jsonl");
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(open_error(fifo), "\"" + fifo + "\" is a FIFO: ecpipe reads regular files only") << "and no hang";
  ::unlink(fifo.c_str());
  EXPECT_EQ(open_error("/dev/zero"), "\"/dev/zero\" is a character device: ecpipe reads regular files only");
  EXPECT_EQ(open_error("/tmp"), "\"/tmp\" is a directory: ecpipe reads regular files only");
  const std::string link = temp_path("ecpipe_link.jsonl");
  ::unlink(link.c_str());
  ASSERT_EQ(::symlink("/etc/hostname", link.c_str()), 0);
  EXPECT_EQ(open_error(link), "could not open \"" + link + "\": it is a symbolic link");
  ::unlink(link.c_str());
  const std::string sock = temp_path("ecpipe_sock.jsonl");
  ::unlink(sock.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(open_error(sock), "could not open \"" + sock + "\": No such device or address");
  ::close(fd);
  ::unlink(sock.c_str());
  const std::string long_name = "/nonexistent/" + std::string(1000, 'n');
  EXPECT_EQ(open_error(long_name),
            "could not open \"/nonexistent/" + std::string(187, 'n') + "…\": No such file or directory")
      << "a path in a message is cut";
}

// ---- interrupts: the reader and the validator stop when the server asks ----------------------------------------
namespace {
int probes_left = 0;
bool stop_after_some() { return --probes_left < 0; }
struct ProbeGuard {
  explicit ProbeGuard(int allowed) {
    probes_left = allowed;
    set_interrupt_probe(stop_after_some);
  }
  ~ProbeGuard() { set_interrupt_probe(nullptr); }
};
}  // namespace

TEST(Interrupts, ValidatorAndReaderStop) {
  std::vector<std::string> ls(1000, event("page_view", 1).dump());
  {
    ProbeGuard guard(10);
    EXPECT_THROW(run(ls), Interrupted);
  }
  const std::string path = temp_path("ecpipe_interrupt.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(8 << 20, 'z');
  }
  {
    ProbeGuard guard(2);
    LineReader r(path, 1024);
    std::string_view line;
    EXPECT_THROW(r.next(line), Interrupted) << "skipping a long line polls";
  }
  std::remove(path.c_str());
}

TEST(EventDays, ATimestampFallingOnADayBeforeYearOneFailsCheckFive) {
  Settings s = fixture::settings();
  s.min_year = 1;
  auto bc = event("page_view", 1);
  bc["timestamp"] = "0001-01-01T00:00:00+14:00";  // 0000-12-31T10:00Z: a day of 1 BC
  auto first_day = event("page_view", 2);
  first_day["timestamp"] = "0001-01-01T00:00:00Z";
  auto r = run(fixture::lines({bc, first_day}), s);
  EXPECT_EQ(counts(r, CheckId::TimestampValidity), P(2, 1));
  EXPECT_EQ(detail_of(r, 1),
            "timestamp_validity: timestamp 0001-01-01T00:00:00+14:00 falls on 0000-12-31 in "
            "ecpipe.timezone, outside the days ecpipe stores (0001-01-01 to 9999-12-31)");
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
  EXPECT_EQ(r.lines[1].disposition, Disposition::Raw);
}

TEST(Storable, ExtraDataAmountsBeyondTheMartsMoneyColumnsFailCheckThree) {
  // Items of 1e15 cancelled by a discount of 1e15: check 6 is satisfied, but mart_orders could not hold them.
  auto cancelled = event("purchase", 1, 1, 0);
  cancelled["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1000000, "unit_price": 1000000000}], "discount_amount": 999999999911000})";
  auto shipping = event("purchase", 2, 2, 0);
  shipping["order_id"] = "ORD2024050100002";
  shipping["extra_data"] = json::parse(
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "shipping_fee": 1e13})");
  auto fits = event("purchase", 3, 3, 0);
  fits["order_id"] = "ORD2024050100003";
  fits["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 999999999000}, {"product_id": "", "quantity": 1e300, "unit_price": 1e300}], "discount_amount": 999999910000})";
  auto items = event("purchase", 4, 4, 0);
  items["order_id"] = "ORD2024050100004";
  items["extra_data"] = R"({"products": [{"product_id": "P1001", "quantity": 2, "unit_price": 600000000000}]})";
  auto r = run_events({cancelled, shipping, fits, items});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(4, 3));
  EXPECT_EQ(detail_of(r, 1).substr(0, detail_of(r, 1).find(';')),
            "value_validity: extra_data.discount_amount 999999999911000 does not fit numeric(14,2)");
  EXPECT_EQ(detail_of(r, 2).substr(0, detail_of(r, 2).find(';')),
            "value_validity: extra_data.shipping_fee 10000000000000 does not fit numeric(14,2)");
  EXPECT_EQ(detail_of(r, 4).substr(0, detail_of(r, 4).find(';')),
            "value_validity: extra_data.products: an items amount beyond numeric(14,2) (2 x 600000000000)");
  EXPECT_EQ(r.lines[2].failed & check_bit(CheckId::ValueValidity), 0) << "an entry that is not a line item is ignored";
}

TEST(Storable, IdsLongerThanAMartKeyFailCheckThree) {
  // order_id matches ^ORD\d{13,}$ at any length and line items' product_ids have no pattern, but both are mart keys.
  auto long_order = event("purchase", 1, 1, 0);
  long_order["order_id"] = "ORD" + std::string(20000, '7');
  auto long_item = event("purchase", 2, 2, 0);
  long_item["order_id"] = "ORD2024050100002";
  long_item["extra_data"] =
      json::parse(R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}]})");
  long_item["extra_data"]["products"][0]["product_id"] = std::string(1001, 'x');
  auto longest = event("purchase", 3, 3, 0);
  longest["order_id"] = "ORD" + std::string(997, '3');
  longest["extra_data"] = json::parse(R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}]})");
  longest["extra_data"]["products"][0]["product_id"] = std::string(1000, 'x');
  auto r = run_events({long_order, long_item, longest});
  EXPECT_EQ(counts(r, CheckId::ValueValidity), P(3, 2));
  EXPECT_EQ(detail_of(r, 1).substr(0, detail_of(r, 1).find(';')),
            "value_validity: order_id: 20003 bytes, longer than a mart key may be (1000)");
  EXPECT_EQ(detail_of(r, 2).substr(0, detail_of(r, 2).find(';')),
            "value_validity: extra_data.products: a product_id of 1001 bytes, longer than a mart key may be (1000)");
  EXPECT_EQ(r.lines[2].failed & check_bit(CheckId::ValueValidity), 0) << "1,000 bytes is still a key";
}
