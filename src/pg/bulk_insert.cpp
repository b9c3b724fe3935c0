// BulkInsert: column buffers turned into arrays and inserted with one prepared statement per chunk.
#include "bulk_insert.hpp"

extern "C" {
#include "utils/lsyscache.h"
}

namespace ecpipe::pg {

namespace {
constexpr size_t kChunkBytes = 16 << 20;

Oid array_type_of(Oid element) {
  switch (element) {
    case TEXTOID: return TEXTARRAYOID;
    case BYTEAOID: return BYTEAARRAYOID;
    case INT8OID: return INT8ARRAYOID;
    case INT4OID: return INT4ARRAYOID;
    case INT2OID: return INT2ARRAYOID;
    default: throw ServerError(ERRCODE_INTERNAL_ERROR, "BulkInsert: unsupported column type");
  }
}
}  // namespace

BulkInsert::BulkInsert(const char* sql, std::vector<Oid> scalar_types, std::vector<Datum> scalars,
                       std::vector<Oid> column_types, size_t rows_per_chunk)
    : scalars_(std::move(scalars)), rows_per_chunk_(rows_per_chunk) {
  std::vector<Oid> types = scalar_types;
  for (Oid t : column_types) {
    types.push_back(array_type_of(t));
    Column c{};
    c.type = t;
    columns_.push_back(c);
  }
  plan_ = spi_prepare(sql, types);
  server_call([&] {
    for (auto& c : columns_) get_typlenbyvalalign(c.type, &c.typlen, &c.typbyval, &c.typalign);
    chunk_ctx_ = AllocSetContextCreate(CurrentMemoryContext, "ecpipe bulk insert", ALLOCSET_DEFAULT_SIZES);
  });
}

void BulkInsert::add_row(const std::vector<Datum>& values, const std::vector<bool>& nulls, size_t bytes) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    columns_[i].values.push_back(nulls[i] ? (Datum)0 : values[i]);
    columns_[i].nulls.push_back(nulls[i]);
  }
  ++pending_;
  pending_bytes_ += bytes;
  if (pending_ >= rows_per_chunk_ || pending_bytes_ >= kChunkBytes) flush();
}

int64_t BulkInsert::flush() {
  if (pending_ == 0) return written_;
  std::vector<Datum> params = scalars_;
  params.resize(scalars_.size() + columns_.size());
  server_call([&] {
    MemoryContext old = MemoryContextSwitchTo(chunk_ctx_);
    for (size_t i = 0; i < columns_.size(); ++i) {
      Column& c = columns_[i];
      int dims[1] = {static_cast<int>(pending_)};
      int lbs[1] = {1};
      bool* isnull = static_cast<bool*>(palloc(sizeof(bool) * pending_));
      for (size_t r = 0; r < pending_; ++r) isnull[r] = c.nulls[r];
      params[scalars_.size() + i] = PointerGetDatum(
          construct_md_array(c.values.data(), isnull, 1, dims, lbs, c.type, c.typlen, c.typbyval, c.typalign));
    }
    MemoryContextSwitchTo(old);
  });
  spi_exec_plan(plan_, params);
  written_ += static_cast<int64_t>(pending_);
  for (auto& c : columns_) c.values.clear(), c.nulls.clear();
  pending_ = 0;
  pending_bytes_ = 0;
  server_call([&] { MemoryContextReset(chunk_ctx_); });
  return written_;
}

}  // namespace ecpipe::pg
