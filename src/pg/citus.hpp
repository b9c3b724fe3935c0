// What ecpipe's C code knows of Citus: the route key of a landed line, whether this database's tables are
// distributed (the single-node data path reads and writes tables directly, which on a coordinator are empty shells),
// and the routing of landed lines to the workers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "pg_includes.hpp"

namespace ecpipe::pg {

// Whether ecpipe_distribute has distributed ecpipe's tables in this database (false without Citus); raises 0A000 on a
// worker of a distributed ecpipe (the data path runs on the coordinator). Needs SPI.
bool tables_distributed();

// Lands the lines of a server file (already resolved and allowed) as batch ds on a distributed ecpipe, replacing the
// batch: each line with its route key, sent by Citus to its shard, every byte kept as ecpipe_ingest keeps it.
// Returns the number of lines. Needs an open SpiConnection.
int64_t route_file_to_landing(DateADT batch, const std::string& path, uint64_t max_line_bytes);

// Brings batch ds's lines to the workers' landing for its validation: a client's \copy (route_landing_import), else
// the day's file in ecpipe.landing_dir, routed as it is now (a copy an earlier validation routed and no load consumed
// goes first: the file is the source). Returns the file routed, or a landing source. Needs an open SpiConnection.
struct BatchSource;
BatchSource route_batch(DateADT batch, uint64_t max_line_bytes);

// Moves the lines of the batch's latest statement a client copied into ecpipe.landing_import (through any node) to
// landing, each with its route key, in place of the batch; that statement and earlier ones leave landing_import.
// Returns the lines moved. Needs an open SpiConnection.
uint64_t route_landing_import(DateADT batch);

// The batch's lines as one number computed on the workers (ecpipe.landing_fingerprint). Needs an open SpiConnection.
uint64_t distributed_fingerprint(DateADT batch);

// Raises 0A000 naming function_name when ecpipe's tables here are distributed by Citus (ecpipe_distribute).
void require_single_node(const char* function_name);

}  // namespace ecpipe::pg
