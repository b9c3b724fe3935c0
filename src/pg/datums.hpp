// Datums made from C++ values: text and bytea for rows, jsonb for a function's result.
#pragma once
#include <string>
#include <string_view>

#include "pg_includes.hpp"

namespace ecpipe::pg {

// Text and bytea Datums from C++ strings, allocated in the current memory context (call inside server_call).
Datum text_datum(std::string_view s);
Datum bytea_datum(std::string_view s);
// A jsonb Datum parsed from JSON text, for a function's result (runs its own server_call).
Datum jsonb_result(const std::string& json);

}  // namespace ecpipe::pg
