// Internal: check 6's arithmetic on one purchase (extra_data, products, discount, shipping, total).
#pragma once
#include <simdjson.h>

#include <string>

#include "json_event.hpp"

namespace ecpipe::detail {

// True when the purchase's amounts are consistent within `tolerance`; otherwise false with a reason. A string
// extra_data is decoded with `parser` (its embedded document), unless the caller already decoded it (`decoded`).
bool order_amount_consistent(simdjson::dom::element event, EventParser& parser, double tolerance, std::string& reason,
                             const simdjson::dom::element* decoded = nullptr);

}  // namespace ecpipe::detail
