// Reads a landed batch in line order, handing each line's bytes to a C++ callback.
#pragma once
#include <functional>
#include <string_view>

#include "spi.hpp"

namespace ecpipe::pg {

// Calls visit(line_no, bytes) for every line of the batch (text or bytes, whichever it was stored as), in
// line_no order, a heap page at a time, reporting progress as "<step> <batch>". Needs an open SpiConnection.
void scan_landing(DateADT batch, const char* step, const std::function<void(int64_t, std::string_view)>& visit);

// About how many lines the batch holds, from its highest line_no (one index probe, no count), never more than the
// landing table could hold: a size hint for per-line state, not a count.
size_t landing_lines_hint(DateADT batch);

}  // namespace ecpipe::pg
