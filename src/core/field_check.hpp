// Internal: judging one present, non-null JSON value against its compiled FieldRule (check 3).
#pragma once
#include <simdjson.h>

#include <string>

#include "ecpipe/schema.hpp"

namespace ecpipe::detail {

// True when the value satisfies the rule; otherwise false with `reason` such as "quantity: 120 > maximum 99".
bool value_satisfies(const FieldRule& rule, simdjson::dom::element value, std::string& reason);

bool is_uuid(std::string_view s);
bool is_absolute_uri(std::string_view s);

}  // namespace ecpipe::detail
