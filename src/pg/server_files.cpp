// Reading files on the server: the privilege it needs and the paths it may take (see server_files.hpp).
#include "server_files.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "boundary.hpp"
#include "settings.hpp"

#include "ecpipe/error.hpp"
#include "ecpipe/quote.hpp"

namespace ecpipe::pg {

void require_read_privilege(const char* what) {
  bool allowed = false;
  server_call([&] { allowed = superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES); });
  if (!allowed)
    throw ServerError(
        ERRCODE_INSUFFICIENT_PRIVILEGE,
        (std::string(what) + " reads server files: it needs superuser or the pg_read_server_files role").c_str());
}

std::string resolve_server_path(const std::string& path) {
  const std::string dir = landing_dir();
  const std::string joined = dir.empty() || (!path.empty() && path[0] == '/') ? path : dir + "/" + path;
  char real_dir[PATH_MAX], real_file[PATH_MAX];
  if (!realpath(joined.c_str(), real_file))
    throw Error(ErrorKind::Io, "could not open \"" + message_excerpt(joined) + "\": " + strerror(errno));
  if (dir.empty()) return real_file;
  if (!realpath(dir.c_str(), real_dir))
    throw Error(ErrorKind::Io, "ecpipe.landing_dir \"" + message_excerpt(dir) + "\" does not exist");
  const std::string root = std::string(real_dir) + "/";
  if (std::string(real_file).compare(0, root.size(), root) != 0)
    throw ServerError(
        ERRCODE_INSUFFICIENT_PRIVILEGE,
        ("\"" + message_excerpt(path) + "\" is outside ecpipe.landing_dir (" + message_excerpt(dir) + ")").c_str());
  return real_file;
}

void require_utf8_database() {
  if (GetDatabaseEncoding() != PG_UTF8)
    throw ServerError(ERRCODE_FEATURE_NOT_SUPPORTED, "ecpipe needs a database with UTF8 encoding");
}

}  // namespace ecpipe::pg
