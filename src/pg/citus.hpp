// What ecpipe's C code knows of Citus: the route key of a landed line, and whether this database's tables are
// distributed (the single-node data path reads and writes tables directly, which on a coordinator are empty shells).
#pragma once

namespace ecpipe::pg {

// Raises 0A000 naming function_name when ecpipe's tables here are distributed by Citus (ecpipe_distribute).
void require_single_node(const char* function_name);

}  // namespace ecpipe::pg
