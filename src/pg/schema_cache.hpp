// The event schema as this backend uses it: compiled once, recompiled when the installed file changes.
#pragma once
#include <string>

#include "ecpipe/schema.hpp"

namespace ecpipe::pg {

// Path of the installed schema: <sharedir>/extension/ecpipe_event_schema.json.
std::string installed_schema_path();

// The compiled installed schema; throws Error(SchemaInvalid) naming the problem if the file is bad.
const CompiledSchema& current_schema();

}  // namespace ecpipe::pg
