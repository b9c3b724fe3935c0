// ecpipe_generate(ds, users, seed, anomaly_rate): synthetic JSONL lines as SETOF text.
#include "boundary.hpp"
#include "dates.hpp"

#include "ecpipe/generator/generator.hpp"

ECPIPE_FUNCTION(ecpipe_generate) {
  ecpipe::pg::require_pipeline_day(PG_GETARG_DATEADT(0), "ecpipe_generate");
  ecpipe::GeneratorOptions o;
  o.day = ecpipe::pg::unix_day(PG_GETARG_DATEADT(0));
  o.users = PG_GETARG_INT32(1);
  o.seed = static_cast<uint64_t>(PG_GETARG_INT64(2));
  o.anomaly_rate = PG_GETARG_FLOAT8(3);
  const std::vector<std::string> lines = ecpipe::generate_events(o);

  ecpipe::pg::server_call([&] {
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (const std::string& line : lines) {
      CHECK_FOR_INTERRUPTS();  // inside server_call: a cancel becomes a C++ error, raised again at the boundary
      Datum value = PointerGetDatum(cstring_to_text_with_len(line.data(), static_cast<int>(line.size())));
      bool isnull = false;
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
      pfree(DatumGetPointer(value));
    }
  });
  return (Datum)0;
}
