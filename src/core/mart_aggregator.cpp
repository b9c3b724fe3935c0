// The MartAggregator's thread and the chunks of events handed to it (see mart_aggregator.hpp).
#include "ecpipe/mart_aggregator.hpp"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "ecpipe/core_only.hpp"
#include "ecpipe/distinct.hpp"
#include "ecpipe/interrupts.hpp"
#include "ecpipe/raw_event.hpp"

namespace ecpipe {

namespace {

constexpr size_t kChunkEvents = 4096;     // events handed over at a time
constexpr size_t kChunkBytes = 8u << 20;  // or fewer, when their strings reach this
constexpr size_t kMaxQueuedChunks = 4;    // the loader waits when this many are not taken yet
constexpr size_t kAbsent = static_cast<size_t>(-1);

// A string copied into a chunk's arena: where it starts, how long it is (at == kAbsent: none).
struct Piece {
  size_t at = kAbsent, size = 0;
};

// Events copied out of the loader's buffers, their strings in one arena.
struct Chunk {
  struct Event {
    int64_t day = 0, line_no = 0, micros = 0;
    EventType type = EventType::Unknown;
    std::optional<int64_t> amount_cents;
    Piece user, session, platform, product;
  };
  std::string text;
  std::vector<Event> events;

  Piece put(const std::optional<std::string>& s) {
    if (!s) return Piece{};
    Piece p{text.size(), s->size()};
    text += *s;
    return p;
  }
  std::string_view view(const Piece& p) const {
    return p.at == kAbsent ? std::string_view() : std::string_view(text.data() + p.at, p.size);
  }
};

}  // namespace

class MartAggregator::Impl {
 public:
  explicit Impl(size_t max_days) : max_days_(max_days) {
    // The thread starts with every signal blocked (it inherits the mask of the thread that makes it), so the
    // process's handlers keep running where they were installed.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    try {
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &before, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void add(int64_t line_no, const RawEvent& e) {
    Chunk::Event ev;
    ev.day = e.time.event_day;
    ev.line_no = line_no;
    ev.micros = e.time.unix_micros;
    const MartEvent m = mart_event_of(e);
    ev.type = m.type;
    ev.amount_cents = m.amount_cents;
    ev.user = filling_.put(e.text[RawEvent::UserId]);
    ev.session = filling_.put(e.text[RawEvent::SessionId]);
    ev.platform = filling_.put(e.text[RawEvent::Platform]);
    ev.product = filling_.put(e.text[RawEvent::ProductId]);
    filling_.events.push_back(ev);
    if (filling_.events.size() >= kChunkEvents || filling_.text.size() >= kChunkBytes) hand_over();
  }

  Aggregates finish() {
    hand_over();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      closing_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    Aggregates out;
    for (auto& [day, builder] : builders_)
      out.days[day] = AggregatedDay{builder.first->finish(), std::move(builder.second)};
    out.users = static_cast<int64_t>(users_.size());
    out.sessions = static_cast<int64_t>(sessions_.size());
    // what the rows were counted with goes now, not when the aggregator does: the loader builds indexes next
    builders_.clear();
    users_ = DistinctStrings();
    sessions_ = DistinctStrings();
    return out;
  }

 private:
  // Queues the chunk being filled, waiting while the thread is kMaxQueuedChunks behind; rethrows its error.
  void hand_over() {
    std::unique_lock<std::mutex> lock(mutex_);
    room_.wait(lock, [&] { return queue_.size() < kMaxQueuedChunks || failed_; });
    if (failed_) {
      lock.unlock();
      if (thread_.joinable()) thread_.join();
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      throw Error(ErrorKind::Internal, "the marts aggregator stopped");
    }
    if (filling_.events.empty()) return;
    queue_.push_back(std::move(filling_));
    filling_ = Chunk{};
    lock.unlock();
    wake_.notify_one();
  }

  void run() {
    try {
      InterruptCounter interrupts(1024);
      for (;;) {
        Chunk chunk;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return !queue_.empty() || closing_ || stopping_; });
          if (stopping_ || queue_.empty()) return;
          chunk = std::move(queue_.front());
          queue_.pop_front();
        }
        room_.notify_one();
        for (const Chunk::Event& ev : chunk.events) {
          interrupts.tick();
          take(chunk, ev);
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      failed_ = true;
      room_.notify_all();
    }
  }

  void take(const Chunk& chunk, const Chunk::Event& ev) {
    if (ev.user.at != kAbsent) users_.add(chunk.view(ev.user));
    if (ev.session.at != kAbsent) sessions_.add(chunk.view(ev.session));
    auto day = builders_.find(ev.day);
    if (day == builders_.end()) {
      if (builders_.size() >= max_days_) return;
      day = builders_.emplace(ev.day, std::make_pair(std::make_unique<MartBuilder>(), std::vector<int64_t>())).first;
    }
    MartEvent m;
    m.type = ev.type;
    m.user_id = chunk.view(ev.user);
    m.session_id = chunk.view(ev.session);
    m.platform = chunk.view(ev.platform);
    if (ev.product.at != kAbsent) m.product_id = chunk.view(ev.product);
    m.micros = ev.micros;
    m.amount_cents = ev.amount_cents;
    day->second.first->add(m);
    if (m.type == EventType::Purchase) day->second.second.push_back(ev.line_no);
  }

  const size_t max_days_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_, room_;
  std::deque<Chunk> queue_;
  bool closing_ = false, stopping_ = false, failed_ = false;
  std::exception_ptr error_;
  Chunk filling_;  // the loader's side only
  // the thread's side only, read by finish() after the join
  std::map<int64_t, std::pair<std::unique_ptr<MartBuilder>, std::vector<int64_t>>> builders_;
  DistinctStrings users_, sessions_;
};

MartAggregator::MartAggregator(size_t max_days) : impl_(std::make_unique<Impl>(max_days)) {}
MartAggregator::~MartAggregator() = default;
void MartAggregator::add(int64_t line_no, const RawEvent& e) { impl_->add(line_no, e); }
Aggregates MartAggregator::finish() { return impl_->finish(); }

}  // namespace ecpipe
