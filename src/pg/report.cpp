// ecpipe.render_report(jsonb): the report data gathered by ecpipe_report_html, rendered by the core as HTML.
#include "boundary.hpp"

#include "ecpipe/report/report.hpp"

ECPIPE_FUNCTION(ecpipe_render_report) {
  char* data = nullptr;
  ecpipe::pg::server_call([&] { data = DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(0))); });
  const std::string page = ecpipe::render_report_html(data);
  Datum out = 0;
  ecpipe::pg::server_call(
      [&] { out = PointerGetDatum(cstring_to_text_with_len(page.data(), static_cast<int>(page.size()))); });
  return out;
}
