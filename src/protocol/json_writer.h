// Compact JSON serialization of a parsed value, with numbers in their shortest round-trip form
// (1.5, not 1.5E0), as JSON.stringify writes them. Pure, thread-safe.
//
// A number beyond the range of a double (1e999, -1e400, a 400-digit integer) parses as
// ±infinity, which has no JSON form: such a value has no compact text (toJsonText answers
// nullopt) and is written from its source by compactJsonText, which keeps the text of those
// numbers as the sender wrote them (JSON allows them; the REST API and upstream answers pass
// json payloads through verbatim too).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace wps::protocol {

// Appends the compact text of `v`; false when `v` holds an infinite double (written as null).
bool appendJsonValue(std::string& out, const boost::json::value& v);
// The compact text of `v`; nullopt when `v` holds an infinite double.
std::optional<std::string> toJsonText(const boost::json::value& v);

// The compact text of the JSON document `text`, as toJsonText writes its parsed value, except
// that a number beyond the range of a double keeps its source text. With a non-empty `member`,
// the compact text of the value of that member of the top-level object (the last one when the
// name repeats, as boost::json::parse keeps it). nullopt when `text` is not valid JSON (depth
// limit 64) or has no such member. Unlike a parsed value, it keeps every one of repeated keys
// inside the value (still valid JSON).
std::optional<std::string> compactJsonText(std::string_view text, std::string_view member = {});

}  // namespace wps::protocol
