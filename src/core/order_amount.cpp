// Check 6: total_amount = Σ quantity × unit_price − discount_amount + shipping_fee, within the tolerance.
#include "order_amount.hpp"

#include <cmath>

#include "ecpipe/quote.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// discount_amount / shipping_fee: absent or null count as 0; anything else must be a number.
bool optional_amount(simdjson::dom::object extra, const char* key, double& out, std::string& reason) {
  out = 0;
  element v;
  if (extra[key].get(v) || v.is_null()) return true;
  if (number_of(v, out)) return true;
  reason = std::string("extra_data.") + key + " is not a number (" + describe(v) + ")";
  return false;
}

}  // namespace

bool order_amount_consistent(element event, EventParser& parser, double tolerance, std::string& reason,
                             const element* decoded) {
  element extra_value;
  if (event["extra_data"].get(extra_value)) {
    reason = "extra_data is missing";
    return false;
  }
  if (extra_value.is_string() && decoded) {
    extra_value = *decoded;
  } else if (extra_value.is_string()) {
    std::string why;
    std::string_view text(extra_value.get_string().value_unsafe());
    if (!parser.parse_embedded(text, extra_value, why)) {
      reason = "extra_data string is not valid JSON: " + why;
      return false;
    }
  }
  if (!extra_value.is_object()) {
    reason = std::string("extra_data is not an object (") + json_type_name(extra_value) + ")";
    return false;
  }
  simdjson::dom::object extra = extra_value.get_object().value_unsafe();
  element products_value;
  if (extra["products"].get(products_value) || !products_value.is_array()) {
    reason = "extra_data.products is missing or not an array";
    return false;
  }
  simdjson::dom::array products = products_value.get_array().value_unsafe();
  if (products.size() == 0) {
    reason = "extra_data.products is empty";
    return false;
  }
  long double items = 0;
  size_t index = 0;
  for (element item : products) {
    double quantity = 0, price = 0;
    element q, p;
    const bool is_object = item.is_object();
    if (!is_object || item["quantity"].get(q) || !number_of(q, quantity) || item["unit_price"].get(p) ||
        !number_of(p, price)) {
      reason = "extra_data.products[" + std::to_string(index) + "] lacks a numeric quantity or unit_price";
      return false;
    }
    items += static_cast<long double>(quantity) * price;
    ++index;
  }
  double total = 0, discount = 0, shipping = 0;
  element total_value;
  if (event["total_amount"].get(total_value) || !number_of(total_value, total)) {
    reason = "total_amount is not a number";
    return false;
  }
  if (!optional_amount(extra, "discount_amount", discount, reason) ||
      !optional_amount(extra, "shipping_fee", shipping, reason))
    return false;
  const long double expected = items - discount + shipping;
  const long double gap = std::fabs(static_cast<long double>(total) - expected);
  if (!(gap <= tolerance)) {
    reason = "total_amount " + number_text(total) + " != items " + number_text(static_cast<double>(items)) +
             " - discount " + number_text(discount) + " + shipping " + number_text(shipping) + " = " +
             number_text(static_cast<double>(expected));
    return false;
  }
  return true;
}

}  // namespace ecpipe::detail
