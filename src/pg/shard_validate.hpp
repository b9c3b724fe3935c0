// The seven checks on a distributed ecpipe, shard by shard: each worker validates its shards' lines with the same
// validator (ecpipe.validate_shard), the coordinator settles what spans shards and merges.
#pragma once
#include "pg_includes.hpp"

#include "ecpipe/checks.hpp"
#include "ecpipe/settings.hpp"

namespace ecpipe::pg {

struct DistributedValidation {
  BatchReport report;  // the batch's checks (counts and samples); its line verdicts are written on the shards
  int64_t lines = 0, quarantined = 0;
};

// On the coordinator: the batch's keys repartitioned on the workers, what spans shards settled, every shard validated
// by its worker with that (its verdicts written there), the spanning sessions walked here, and their findings added
// to their lines' verdicts. Needs an open SpiConnection.
DistributedValidation validate_distributed(DateADT batch, int64_t run_id, const Settings& settings);

}  // namespace ecpipe::pg
