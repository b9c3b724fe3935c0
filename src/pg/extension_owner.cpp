// AsExtensionOwner: the current user switched to the extension's owner, and back.
#include "extension_owner.hpp"

#include "boundary.hpp"
#include "spi.hpp"

namespace ecpipe::pg {

AsExtensionOwner::AsExtensionOwner() {
  spi_exec("SELECT extowner FROM pg_catalog.pg_extension WHERE extname = 'ecpipe'", {}, {}, nullptr, true);
  Oid owner = InvalidOid;
  server_call([&] {
    bool isnull = true;
    if (SPI_processed == 1)
      owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    GetUserIdAndSecContext(&user_, &context_);
  });
  if (owner == InvalidOid) throw ServerError(ERRCODE_UNDEFINED_OBJECT, "extension \"ecpipe\" is not installed");
  SetUserIdAndSecContext(owner, context_ | SECURITY_LOCAL_USERID_CHANGE);
}

AsExtensionOwner::~AsExtensionOwner() { SetUserIdAndSecContext(user_, context_); }

}  // namespace ecpipe::pg
