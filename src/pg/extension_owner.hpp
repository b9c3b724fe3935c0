// Running SQL as the extension's owner, as a SECURITY DEFINER function does, for the length of a C++ scope.
#pragma once
#include "pg_includes.hpp"

namespace ecpipe::pg {

// The single-node load makes and indexes raw partitions this way (ecpipe.raw_partition and index_raw_partition are
// granted to no role), and a distributed ecpipe runs its whole data path this way: Citus lets no role read or write
// placements that another role wrote in the same transaction, so every step of a run reaches the workers as one role.
class AsExtensionOwner {
 public:
  AsExtensionOwner();  // needs an open SpiConnection
  ~AsExtensionOwner();
  AsExtensionOwner(const AsExtensionOwner&) = delete;
  AsExtensionOwner& operator=(const AsExtensionOwner&) = delete;

 private:
  Oid user_ = InvalidOid;
  int context_ = 0;
};

}  // namespace ecpipe::pg
