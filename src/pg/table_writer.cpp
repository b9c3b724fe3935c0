// TableWriter: one ResultRelInfo, bulk-insert state and a batch of slots; flushes 1,000 rows at a time.
#include "table_writer.hpp"

#include "boundary.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/hio.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace ecpipe::pg {

TableWriter::TableWriter(const char* schema, const char* table)
    : TableWriter([&] {
        Oid relid = InvalidOid;
        server_call([&] {
          relid = get_relname_relid(table, get_namespace_oid(schema, false));
          if (!OidIsValid(relid)) elog(ERROR, "table %s.%s does not exist", schema, table);
        });
        return relid;
      }()) {}

TableWriter::TableWriter(Oid relid, Buffers buffers, Freeze freeze) : may_freeze_(freeze == Freeze::WhenNew) {
  server_call([&] {
    // Rows skip the executor, so check the privilege it would: INSERT on the table, or on the partitioned table
    // for a partition (as an INSERT through the parent would).
    const Oid checked = get_rel_relispartition(relid) ? get_partition_parent(relid, false) : relid;
    const AclResult acl = pg_class_aclcheck(checked, GetUserId(), ACL_INSERT);
    if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_TABLE, get_rel_name(checked));
    rel_ = table_open(relid, RowExclusiveLock);
    estate_ = CreateExecutorState();
    rri_ = makeNode(ResultRelInfo);
    InitResultRelInfo(rri_, rel_, 1, nullptr, 0);
    ExecOpenIndices(rri_, false);
    bistate_ = GetBulkInsertState();
    if (buffers == Buffers::Keep) {
      FreeAccessStrategy(bistate_->strategy);
      bistate_->strategy = nullptr;
    }
    rows_ = AllocSetContextCreate(CurrentMemoryContext, "ecpipe table writer rows", ALLOCSET_DEFAULT_SIZES);
    // The slots share one unpinned copy of the table's row type. Slots made from the relation's own descriptor
    // would each pin it in the resource owner, and every other pin of it (the executor makes a slot per heap fetch
    // of a unique check, one per row when a re-run meets the dead keys of the rows it replaced) would then probe
    // past those 1,000 identical entries.
    const TupleDesc desc = CreateTupleDescCopy(RelationGetDescr(rel_));
    for (int i = 0; i < kSlots; ++i) slots_[i] = MakeSingleTupleTableSlot(desc, table_slot_callbacks(rel_));
  });
  name_ = RelationGetRelationName(rel_);
}

std::vector<int> TableWriter::columns(const std::vector<const char*>& names) const {
  std::vector<int> out;
  const TupleDesc desc = RelationGetDescr(rel_);
  for (const char* n : names) {
    int found = -1;
    for (int i = 0; i < desc->natts; ++i)
      if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), n) == 0) found = i;
    if (found < 0) throw ServerError(ERRCODE_UNDEFINED_COLUMN, (name_ + " has no column " + n).c_str());
    out.push_back(found);
  }
  return out;
}

std::vector<std::string> TableWriter::column_names() const {
  std::vector<std::string> out;
  const TupleDesc desc = RelationGetDescr(rel_);
  for (int i = 0; i < desc->natts; ++i)
    if (!TupleDescAttr(desc, i)->attisdropped) out.emplace_back(NameStr(TupleDescAttr(desc, i)->attname));
  return out;
}

TupleTableSlot* TableWriter::slot() {
  TupleTableSlot* s = slots_[used_];
  server_call([&] { ExecClearTuple(s); });
  return s;
}

void TableWriter::store() {
  server_call([&] { ExecStoreVirtualTuple(slots_[used_]); });
  if (++used_ == kSlots) flush();
}

void TableWriter::flush() {
  if (used_ == 0) return;
  server_call([&] {
    // Checked at every batch, in the subtransaction that writes it: a table created in an enclosing subtransaction
    // (or an earlier one since committed into it) would keep frozen rows of an inner one that aborts.
    const SubTransactionId current = GetCurrentSubTransactionId();
    const bool freeze = may_freeze_ && (rel_->rd_createSubid == current || rel_->rd_newRelfilenodeSubid == current);
    table_multi_insert(rel_, slots_, used_, GetCurrentCommandId(true), freeze ? TABLE_INSERT_FROZEN : 0, bistate_);
    for (int i = 0; i < used_; ++i) {
      ResetPerTupleExprContext(estate_);
      if (rri_->ri_NumIndices > 0)
        list_free(ExecInsertIndexTuples(rri_, slots_[i], estate_, false, false, nullptr, NIL));
      ExecClearTuple(slots_[i]);
    }
    MemoryContextReset(rows_);
  });
  written_ += used_;
  used_ = 0;
}

int64_t TableWriter::finish() {
  flush();
  server_call([&] {
    for (int i = 0; i < kSlots; ++i) ExecDropSingleTupleTableSlot(slots_[i]);
    ExecCloseIndices(rri_);
    FreeBulkInsertState(bistate_);
    table_finish_bulk_insert(rel_, 0);
    FreeExecutorState(estate_);
    table_close(rel_, NoLock);
    MemoryContextDelete(rows_);
    CommandCounterIncrement();
  });
  return written_;
}

}  // namespace ecpipe::pg
