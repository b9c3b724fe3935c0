// Datums made from C++ values: text and bytea for rows, jsonb for a function's result.
#include "datums.hpp"

#include <cstring>

#include "boundary.hpp"

namespace ecpipe::pg {

Datum text_datum(std::string_view s) {
  return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
}

Datum jsonb_result(const std::string& json) {
  Datum out = 0;
  server_call([&] { out = DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str())); });
  return out;
}

Datum bytea_datum(std::string_view s) {
  bytea* b = static_cast<bytea*>(palloc(VARHDRSZ + s.size()));
  SET_VARSIZE(b, VARHDRSZ + s.size());
  memcpy(VARDATA(b), s.data(), s.size());
  return PointerGetDatum(b);
}

}  // namespace ecpipe::pg
