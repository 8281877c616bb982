// Compact JSON serialization of a parsed value, with numbers in their shortest round-trip form
// (1.5, not 1.5E0), as JSON.stringify writes them. Pure, thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace wps::protocol {

void appendJsonValue(std::string& out, const boost::json::value& v);
std::string toJsonText(const boost::json::value& v);

}  // namespace wps::protocol
