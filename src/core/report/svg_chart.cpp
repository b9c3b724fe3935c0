// Inline SVG charts for the HTML report: layout arithmetic and markup, every label escaped.
#include "svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ecpipe/notify/wording.hpp"
#include "ecpipe/report/report.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

namespace {

constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"};
constexpr int kLeft = 56, kRight = 40, kTop = 28, kBottom = 36;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

const char* color(size_t i) { return kPalette[i % (sizeof kPalette / sizeof kPalette[0])]; }

// Axis labels fit their slot (about 6.5 px a character at 11 px), cut to it; when a slot cannot hold a date
// (10 characters) only every k-th category is labelled, so a year of days reads as dates, not as a smear.
constexpr double kCharPx = 6.5;
constexpr size_t kFullLabel = 10;
size_t chars_for(double px) { return std::max<size_t>(4, static_cast<size_t>(px / kCharPx)); }
size_t label_every(size_t count, double slot_px, size_t longest_chars) {
  const double need = static_cast<double>(std::min(longest_chars, kFullLabel)) * kCharPx;
  return slot_px >= need || count == 0 ? 1 : static_cast<size_t>(std::ceil(need / std::max(slot_px, 1.0)));
}
size_t chars(const std::string& s) {  // code points
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
size_t longest(const std::vector<std::string>& labels) {
  size_t n = 0;
  for (const auto& l : labels) n = std::max(n, l.size());
  return n;
}

// One swatch and name per series, wrapping onto further rows; returns the markup and the height it used.
std::string legend(const std::vector<Series>& series, int width, int& height) {
  std::string out;
  double x = kLeft;
  int y = 14;
  for (size_t i = 0; i < series.size(); ++i) {
    const double w = 24 + 6.5 * static_cast<double>(std::min(series[i].name.size(), kLabelChars));
    if (x + w > width && x > kLeft) x = kLeft, y += 16;
    out += "<rect class=\"legend\" x=\"" + num(x) + "\" y=\"" + std::to_string(y - 9) +
           "\" width=\"10\" height=\"10\" fill=\"" + color(i) + "\"/>";
    out += "<text class=\"legend-label\" x=\"" + num(x + 14) + "\" y=\"" + std::to_string(y) + "\">" +
           html_escape(clip(series[i].name, kLabelChars)) + "</text>";
    x += w;
  }
  height = y - 14;
  return out;
}

std::string open_svg(int width, int height, const std::string& css_class) {
  return "<svg class=\"chart " + css_class + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" role=\"img\">";
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi) {
  if (!(hi > lo)) return {lo};
  // the smallest 1-2-5 step that makes at most five intervals
  const double raw = (hi - lo) / 5, power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (double m : {1.0, 2.0, 5.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && ticks.size() < 12; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string tick_label(double value, double range) {
  if (range >= 10) return grouped(value);
  char buf[32];
  std::snprintf(buf, sizeof buf, range >= 1 ? "%.1f" : "%.2f", value);
  return buf;
}

std::string clip(const std::string& value, size_t max_chars) {
  size_t chars = 0, cut_at = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if ((static_cast<unsigned char>(value[i]) & 0xC0) == 0x80) continue;  // inside a UTF-8 sequence
    if (chars == max_chars) return value.substr(0, cut_at) + "\xE2\x80\xA6";
    if (++chars == max_chars) cut_at = i;  // where the last kept character starts: the ellipsis replaces it
  }
  return value;
}

std::string grouped(double value) {
  return std::isfinite(value) && std::fabs(value) < 9.2e18 ? thousands(std::llround(value)) : "\xE2\x80\x94";
}

std::string point_label(double value) {
  if (!std::isfinite(value) || std::fabs(value) >= 9.2e15) return grouped(value);
  const long long cents = std::llround(std::fabs(value) * 100);
  std::string out = (value < 0 && cents != 0 ? "-" : "") + thousands(cents / 100);
  if (cents % 100 != 0) {
    char frac[4];
    std::snprintf(frac, sizeof frac, ".%02lld", cents % 100);
    out += frac;
  }
  return out;
}

std::string bar_chart(const std::vector<std::string>& categories, const std::vector<Series>& series,
                      const std::string& css_class, int width, int height, const std::vector<std::string>& notes) {
  double top = 0;
  for (const auto& s : series)
    for (double v : s.values)
      if (std::isfinite(v)) top = std::max(top, v);
  // headroom over the highest bar for its value label, below the legend
  top = top > 0 ? top * 1.15 : 1;
  const double plot_w = width - kLeft - kRight, plot_h = height - kTop - kBottom;
  const double group_w = categories.empty() ? plot_w : plot_w / static_cast<double>(categories.size());
  const double bar_w = std::max(2.0, (group_w * 0.8) / static_cast<double>(std::max<size_t>(1, series.size())));
  int extra = 0;
  const std::string key = legend(series, width, extra);
  const double top_y = kTop + extra;
  std::string out = open_svg(width, height + extra, css_class) + key;
  out += "<line class=\"axis\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + num(top_y + plot_h) + "\" x2=\"" +
         num(kLeft + plot_w) + "\" y2=\"" + num(top_y + plot_h) + "\"/>";
  const size_t every = label_every(categories.size(), group_w, std::max<size_t>(longest(categories), 8));
  for (size_t c = 0; c < categories.size(); ++c) {
    const double gx = kLeft + group_w * static_cast<double>(c) + group_w * 0.1;
    const std::string note = c < notes.size() ? notes[c] : "";
    bool drawn = false;
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = c < series[s].values.size() ? series[s].values[c] : NAN;
      if (!std::isfinite(v)) continue;
      drawn = true;
      const double h = plot_h * v / top, x = gx + bar_w * static_cast<double>(s), y = top_y + plot_h - h;
      out += "<rect class=\"bar " + css_class + (note.empty() ? "" : " noted") + "\" x=\"" + num(x) + "\" y=\"" +
             num(y) + "\" width=\"" + num(bar_w - 1) + "\" height=\"" + num(h) + "\" fill=\"" + color(s) +
             "\"><title>" +
             html_escape(clip(categories[c], kCellChars) + (note.empty() ? "" : " (" + note + ")") + " · " +
                         clip(series[s].name, kLabelChars) + ": " + grouped(v)) +
             "</title></rect>";
      // a value label only where it fits over its bar (the bar's title always has it)
      if (bar_w >= kCharPx * static_cast<double>(grouped(v).size()) + 2)
        out +=
            "<text class=\"value\" x=\"" + num(x + bar_w / 2) + "\" y=\"" + num(y - 3) + "\">" + grouped(v) + "</text>";
    }
    // an empty slot says why, written upwards from the axis (when the slot is wide enough for a line of text)
    if (!drawn && !note.empty()) {
      const double nx = gx + group_w * 0.4 + 4, ny = top_y + plot_h - 4;
      out += group_w >= 12
                 ? "<text class=\"note\" x=\"" + num(nx) + "\" y=\"" + num(ny) + "\" transform=\"rotate(-90 " +
                       num(nx) + " " + num(ny) + ")\">" + html_escape(clip(note, kLabelChars)) + "<title>" +
                       html_escape(clip(categories[c], kCellChars) + " (" + note + ")") + "</title></text>"
                 : "<rect class=\"note\" x=\"" + num(gx) + "\" y=\"" + num(top_y) + "\" width=\"" +
                       num(std::max(1.0, group_w * 0.8)) + "\" height=\"" + num(plot_h) + "\"><title>" +
                       html_escape(clip(categories[c], kCellChars) + " (" + note + ")") + "</title></rect>";
    }
    if (c % every != 0) continue;
    out += "<text class=\"category\" x=\"" + num(gx + group_w * 0.4) + "\" y=\"" + num(top_y + plot_h + 16) + "\">" +
           html_escape(clip(categories[c], std::min(kLabelChars, chars_for(group_w * static_cast<double>(every))))) +
           "<title>" + html_escape(clip(categories[c], kCellChars)) + "</title></text>";
  }
  return out + "</svg>";
}

std::string hbar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                       const std::string& css_class, int width) {
  constexpr int kRow = 22, kLabel = 90;
  const int height = static_cast<int>(labels.size()) * kRow + 8;
  double top = 0;
  for (double v : values) top = std::max(top, v);
  if (top <= 0) top = 1;
  const double plot_w = width - kLabel - 110;
  std::string out = open_svg(width, height, css_class);
  for (size_t i = 0; i < labels.size() && i < values.size(); ++i) {
    const double y = 4 + kRow * static_cast<double>(i), w = plot_w * values[i] / top;
    out += "<text class=\"label\" x=\"0\" y=\"" + num(y + 14) + "\">" + html_escape(clip(labels[i], kLabelChars)) +
           "<title>" + html_escape(clip(labels[i], kCellChars)) + "</title></text>";
    out += "<rect class=\"bar " + css_class + "\" x=\"" + std::to_string(kLabel) + "\" y=\"" + num(y) + "\" width=\"" +
           num(w) + "\" height=\"16\" fill=\"" + color(0) + "\"/>";
    out += "<text class=\"hvalue\" x=\"" + num(kLabel + w + 6) + "\" y=\"" + num(y + 13) + "\">" + grouped(values[i]) +
           "</text>";
  }
  return out + "</svg>";
}

std::string line_chart(const std::vector<std::string>& categories, const std::vector<Series>& series,
                       const std::string& css_class, double y_min, double y_max, const double* threshold, int width,
                       int height) {
  if (y_max <= y_min) y_max = y_min + 1;
  const double plot_w = width - kLeft - kRight, plot_h = height - kTop - kBottom;
  const double step = categories.size() > 1 ? plot_w / static_cast<double>(categories.size() - 1) : 0;
  auto px = [&](size_t i) { return kLeft + (categories.size() > 1 ? step * static_cast<double>(i) : plot_w / 2); };
  int extra = 0;
  const std::string key = legend(series, width, extra);
  const double top_y = kTop + extra;
  auto py = [&](double v) { return top_y + plot_h * (1 - (std::clamp(v, y_min, y_max) - y_min) / (y_max - y_min)); };
  std::string out = open_svg(width, height + extra, css_class) + key;
  for (double tick : nice_ticks(y_min, y_max))
    out += "<text class=\"tick\" x=\"4\" y=\"" + num(py(tick) + 4) + "\">" + tick_label(tick, y_max - y_min) +
           "</text><line class=\"grid\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + num(py(tick)) + "\" x2=\"" +
           num(kLeft + plot_w) + "\" y2=\"" + num(py(tick)) + "\"/>";
  if (threshold)
    out += "<line class=\"threshold\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + num(py(*threshold)) + "\" x2=\"" +
           num(kLeft + plot_w) + "\" y2=\"" + num(py(*threshold)) + "\"><title>" + point_label(*threshold) +
           "</title></line>";
  for (size_t s = 0; s < series.size(); ++s) {
    // one polyline per run of values: a day without a value breaks the line instead of being bridged
    std::string points;
    const auto flush = [&] {
      if (!points.empty())
        out += "<polyline class=\"line\" fill=\"none\" stroke=\"" + std::string(color(s)) + "\" points=\"" + points +
               "\"/>";
      points.clear();
    };
    for (size_t i = 0; i < series[s].values.size() && i < categories.size(); ++i) {
      if (std::isfinite(series[s].values[i]))
        points += num(px(i)) + "," + num(py(series[s].values[i])) + " ";
      else
        flush();
    }
    flush();
    for (size_t i = 0; i < series[s].values.size() && i < categories.size(); ++i) {
      const double v = series[s].values[i];
      if (!std::isfinite(v)) continue;
      out += "<circle class=\"point " + css_class + "\" cx=\"" + num(px(i)) + "\" cy=\"" + num(py(v)) +
             "\" r=\"3.5\" fill=\"" + color(s) + "\"><title>" +
             html_escape(clip(series[s].name, kLabelChars) + " " + clip(categories[i], kCellChars) + ": " +
                         point_label(v)) +
             "</title></circle>";
    }
  }
  // labels fit their slot (every k-th when there are many); the last one, when centred on its point would run past
  // the chart's right edge, ends at its point instead
  const double slot = categories.size() > 1 ? step : plot_w;
  const size_t every = label_every(categories.size(), slot, std::max<size_t>(longest(categories), 8));
  for (size_t i = 0; i < categories.size(); i += every) {
    const std::string label = clip(categories[i], std::min(kLabelChars, chars_for(slot * static_cast<double>(every))));
    const bool end = i + 1 == categories.size() && i > 0 && static_cast<double>(chars(label)) * kCharPx / 2 > kRight;
    out += std::string("<text class=\"category") + (end ? " last" : "") + "\" x=\"" + num(px(i)) + "\" y=\"" +
           num(top_y + plot_h + 16) + "\">" + html_escape(label) + "</text>";
  }
  return out + "</svg>";
}

}  // namespace ecpipe::detail
