// Reads one landed batch in line order: the primary key gives the order, the heap pages come through a small ring.
#include "landing_scan.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dates.hpp"
#include "progress.hpp"

#include "ecpipe/timestamp.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "storage/bufmgr.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
}

namespace ecpipe::pg {

namespace {

// The batch's rows in (batch_date, line_no) order, one heap page's worth at a time. A plain index scan would
// read every page into its own shared buffer, and a backend touching a buffer for the first time pays a page
// fault for each 4 kB of it: about 1.2 s for a 450 MB batch on a VM, more than the checks themselves. Through
// a 256 kB BULKREAD ring the same pages come from the OS cache into a few buffers that stay mapped, and the batch
// does not push other data out of shared_buffers (the ingest writes through COPY's ring for the same reason).
class LandingReader {
 public:
  // Reads ecpipe.<table>. SELECT on ecpipe.landing covers landing_import, as a query on landing reads it too.
  LandingReader(DateADT batch, const char* table) {
    server_call([&] {
      const Oid schema = get_namespace_oid("ecpipe", false);
      const Oid landing = get_relname_relid("landing", schema);
      const AclResult acl = pg_class_aclcheck(landing, GetUserId(), ACL_SELECT);
      if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_TABLE, "landing");
      const Oid relid = get_relname_relid(table, schema);
      heap_ = table_open(relid, AccessShareLock);
      index_ = index_open(RelationGetPrimaryKeyIndex(heap_), AccessShareLock);
      snapshot_ = RegisterSnapshot(GetActiveSnapshot());
      ring_ = GetAccessStrategy(BAS_BULKREAD);
      rows_ = AllocSetContextCreate(CurrentMemoryContext, "ecpipe landing rows", ALLOCSET_DEFAULT_SIZES);
      ScanKeyData key;
      ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_DATE_EQ, DateADTGetDatum(batch));
      scan_ = index_beginscan(heap_, index_, snapshot_, 1, 0);
      index_rescan(scan_, &key, 1, nullptr, 0);
    });
  }
  LandingReader(const LandingReader&) = delete;
  LandingReader& operator=(const LandingReader&) = delete;

  // The next rows, in line order, all from one heap page (kept pinned until the next call); empty at the end.
  const std::vector<std::pair<int64_t, std::string_view>>& next() {
    server_call([&] {
      CHECK_FOR_INTERRUPTS();
      MemoryContextReset(rows_);
      rows_of_page_.clear();
      if (pending_) {
        take(*pending_);
        pending_.reset();
      }
      while (!ended_) {
        ItemPointer tid = index_getnext_tid(scan_, ForwardScanDirection);
        if (!tid) {
          ended_ = true;  // asked again, the index scan would start over
          break;
        }
        if (buffer_ != InvalidBuffer && ItemPointerGetBlockNumber(tid) != BufferGetBlockNumber(buffer_) &&
            !rows_of_page_.empty()) {
          pending_ = *tid;  // starts the next page's rows
          break;
        }
        take(*tid);
      }
    });
    return rows_of_page_;
  }

  void close() {
    server_call([&] {
      index_endscan(scan_);
      if (buffer_ != InvalidBuffer) ReleaseBuffer(buffer_);
      FreeAccessStrategy(ring_);
      index_close(index_, NoLock);
      table_close(heap_, NoLock);
      UnregisterSnapshot(snapshot_);
      MemoryContextDelete(rows_);
    });
  }

 private:
  // The visible version of the row at tid, if any, added to rows_of_page_ (its bytes stay in the pinned page,
  // or in rows_ when stored compressed or out of line).
  void take(ItemPointerData tid) {
    const BlockNumber block = ItemPointerGetBlockNumber(&tid);
    if (buffer_ == InvalidBuffer || BufferGetBlockNumber(buffer_) != block) {
      if (buffer_ != InvalidBuffer) ReleaseBuffer(buffer_);
      buffer_ = ReadBufferExtended(heap_, MAIN_FORKNUM, block, RBM_NORMAL, ring_);
    }
    HeapTupleData tuple;
    bool all_dead = false;
    LockBuffer(buffer_, BUFFER_LOCK_SHARE);
    const bool found = heap_hot_search_buffer(&tid, heap_, buffer_, snapshot_, &tuple, &all_dead, true);
    LockBuffer(buffer_, BUFFER_LOCK_UNLOCK);
    if (!found) return;
    const TupleDesc desc = RelationGetDescr(heap_);
    bool null_no = false, null_text = false, null_bytes = false;
    const int64_t line_no = DatumGetInt64(heap_getattr(&tuple, 2, desc, &null_no));
    Datum d = heap_getattr(&tuple, 3, desc, &null_text);
    if (null_text) d = heap_getattr(&tuple, 4, desc, &null_bytes);
    std::string_view bytes;
    if (!null_bytes) {
      MemoryContext old = MemoryContextSwitchTo(rows_);
      struct varlena* b = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(d)));
      MemoryContextSwitchTo(old);
      bytes = std::string_view(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
    }
    rows_of_page_.emplace_back(line_no, bytes);
  }

  Relation heap_ = nullptr, index_ = nullptr;
  Snapshot snapshot_ = nullptr;
  BufferAccessStrategy ring_ = nullptr;
  IndexScanDesc scan_ = nullptr;
  Buffer buffer_ = InvalidBuffer;
  MemoryContext rows_ = nullptr;
  std::optional<ItemPointerData> pending_;
  bool ended_ = false;
  std::vector<std::pair<int64_t, std::string_view>> rows_of_page_;
};

// Whether ecpipe.<name> is a table (landing_import is still a view in a database whose ecpipe SQL objects are not yet
// updated).
bool is_table(const char* name) {
  bool table = false;
  server_call([&] {
    const Oid relid = get_relname_relid(name, get_namespace_oid("ecpipe", false));
    table = OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_RELATION;
  });
  return table;
}

}  // namespace

// A batch's lines are in ecpipe.landing_import (a client's \copy, numbered from 1), in ecpipe.landing itself (the
// other paths), or in both (lines appended to landing after a \copy, or rows an operator wrote into either): both
// tables are read in line order and merged. A line number in both is refused: the batch's lines would repeat, and
// its load fail.
void scan_landing(DateADT batch, const char* step, const std::function<void(int64_t, std::string_view)>& visit) {
  ProgressReporter progress(std::string(step) + " " + format_day(unix_day(batch)));
  std::optional<LandingReader> copied;  // landing_import, a table unless the ecpipe SQL objects are not yet updated
  if (is_table("landing_import")) copied.emplace(batch, "landing_import");
  LandingReader landed(batch, "landing");
  // One table's rows, a heap page's worth at a time.
  struct Cursor {
    LandingReader* reader;
    const std::vector<std::pair<int64_t, std::string_view>>* rows = nullptr;
    size_t at = 0;
    bool more() {
      if (!reader) return false;
      if (!rows || at == rows->size()) {
        rows = &reader->next();
        at = 0;
        if (rows->empty()) reader = nullptr;
      }
      return reader != nullptr;
    }
    int64_t line_no() const { return (*rows)[at].first; }
  };
  Cursor from_copy{copied ? &*copied : nullptr}, from_landing{&landed};
  int64_t lines = 0, reported = 0;
  for (;;) {
    const bool copy_more = from_copy.more(), landing_more = from_landing.more();
    if (!copy_more && !landing_more) break;
    if (copy_more && landing_more && from_copy.line_no() == from_landing.line_no())
      throw ServerError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                        ("batch " + format_day(unix_day(batch)) + " has line " + std::to_string(from_copy.line_no()) +
                         " both in ecpipe.landing and in ecpipe.landing_import: its lines would repeat; land the "
                         "batch again, with one \\copy or ecpipe_ingest")
                            .c_str());
    Cursor& next =
        !landing_more || (copy_more && from_copy.line_no() < from_landing.line_no()) ? from_copy : from_landing;
    const auto& [line_no, bytes] = (*next.rows)[next.at++];
    visit(line_no, bytes);
    if (++lines - reported >= 5000) {
      progress.lines_done(lines);
      reported = lines;
    }
  }
  if (copied) copied->close();
  landed.close();
  progress.lines_done(lines);
}

size_t landing_lines_hint(DateADT batch) {
  // A heap tuple of landing takes at least 28 bytes (header, line pointer, date, line_no) whatever its line.
  spi_exec(
      "SELECT least(max(line_no), (pg_catalog.pg_relation_size('ecpipe.landing') + "
      "pg_catalog.pg_relation_size('ecpipe.landing_import')) / 28) FROM ecpipe.landing "
      "WHERE batch_date = $1",
      {DATEOID}, {DateADTGetDatum(batch)}, nullptr, true);
  int64_t hint = 0;
  server_call([&] {
    bool isnull = true;
    const Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (!isnull) hint = DatumGetInt64(d);
  });
  return hint > 0 ? static_cast<size_t>(hint) : 0;
}

}  // namespace ecpipe::pg
