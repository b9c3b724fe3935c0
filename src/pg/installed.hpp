// What the installed SQL of ecpipe has: the library also serves databases still at 0.1.0 or 0.2.0 until
// ALTER EXTENSION ecpipe UPDATE runs there.
#pragma once

namespace ecpipe::pg {

// ecpipe.batch_days exists (0.3.0): loads read and write the batch -> event days map.
bool has_batch_days();
// ecpipe.lock_day(date, bigint) exists (0.3.0): a day's runs, loads and ingests share its row lock.
bool has_lock_day();
// ecpipe.rebuild_day_marts(date, bigint) exists (0.3.0; ecpipe.build_marts before).
bool has_rebuild_day_marts();
// ecpipe.validations has the columns source and source_file (0.3.0): a batch may be read from its file in place.
bool validations_record_source();
// ecpipe.quality_log accepts status 'no_data' (0.3.0).
bool quality_log_takes_no_data();

}  // namespace ecpipe::pg
