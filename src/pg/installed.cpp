// Probes of the installed ecpipe SQL (see installed.hpp). Needs an SPI connection.
#include "installed.hpp"

#include "spi.hpp"

namespace ecpipe::pg {

namespace {

bool ask(const char* sql) {
  spi_exec(sql, {}, {}, nullptr, true);
  bool yes = false;
  server_call([&] {
    bool isnull = true;
    if (SPI_processed == 1) {
      const Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
      yes = !isnull && DatumGetBool(d);
    }
  });
  return yes;
}

}  // namespace

bool has_batch_days() { return ask("SELECT pg_catalog.to_regclass('ecpipe.batch_days') IS NOT NULL"); }

bool has_lock_day() { return ask("SELECT pg_catalog.to_regprocedure('ecpipe.lock_day(date,bigint)') IS NOT NULL"); }

bool has_rebuild_day_marts() {
  return ask("SELECT pg_catalog.to_regprocedure('ecpipe.rebuild_day_marts(date,bigint)') IS NOT NULL");
}

bool validations_record_source() {
  return ask(
      "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
      "'ecpipe.validations'::pg_catalog.regclass "
      "AND a.attname = 'source_file' AND NOT a.attisdropped)");
}

bool quality_log_takes_no_data() {
  return ask(
      "SELECT pg_catalog.bool_or(pg_catalog.pg_get_constraintdef(c.oid) LIKE '%no_data%') "
      "FROM pg_catalog.pg_constraint c "
      "WHERE c.conrelid = 'ecpipe.quality_log'::pg_catalog.regclass AND c.conname = 'quality_log_status_check'");
}

}  // namespace ecpipe::pg
