// Inline SVG charts for the HTML report: grouped bars, horizontal bars and lines with points, escaped labels.
#pragma once
#include <string>
#include <vector>

namespace ecpipe::detail {

struct Series {
  std::string name;
  std::vector<double> values;  // one per category; NaN = no value
};

// Vertical bars: for each category a group with one bar per series. Bars carry class "bar <css_class>". A category's
// note (notes[i], when not empty) says why it has no bar, written up its empty slot (class "note"), or qualifies its
// bars: they are drawn faded (class "noted") with the note in their title.
std::string bar_chart(const std::vector<std::string>& categories, const std::vector<Series>& series,
                      const std::string& css_class, int width, int height, const std::vector<std::string>& notes = {});

// Horizontal bars, one per label, longest first as given. Bars carry class "bar <css_class>".
std::string hbar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                       const std::string& css_class, int width);

// Lines with a point per value over the categories (x axis); an optional dashed horizontal threshold line.
// Points carry class "point <css_class>"; y runs from y_min to y_max.
std::string line_chart(const std::vector<std::string>& categories, const std::vector<Series>& series,
                       const std::string& css_class, double y_min, double y_max, const double* threshold, int width,
                       int height);

// At most max_chars characters (code points) of a value from data; a cut value ends in "…".
std::string clip(const std::string& value, size_t max_chars);

// Lengths a label from data may take: along a chart's axis or in a legend, and in a tooltip or table cell.
constexpr size_t kLabelChars = 32, kCellChars = 200;

// Axis ticks from lo to hi in 1-2-5 steps, at most five intervals: 0..962,500 gives 0, 200,000, ..., 800,000.
std::vector<double> nice_ticks(double lo, double hi);
// A tick's label: thousands separators when the axis spans 10 or more, else one or two decimals.
std::string tick_label(double value, double range);

// 1234567.8 -> "1,234,568" (rounded to whole units).
std::string grouped(double value);
// A point's exact value: 225000 -> "225,000", 99.333 -> "99.33", 1234.5 -> "1,234.50" (cents kept when not whole).
std::string point_label(double value);

}  // namespace ecpipe::detail
