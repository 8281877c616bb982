#include "protocol/json_writer.h"

#include <charconv>
#include <cmath>

#include "common/strings.h"

namespace wps::protocol {

void appendJsonValue(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, r.ptr);
      break;
    }
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      appendJsonString(out, std::string_view(s.data(), s.size()));
      break;
    }
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        appendJsonValue(out, item);
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, item] : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        appendJsonString(out, std::string_view(k.data(), k.size()));
        out.push_back(':');
        appendJsonValue(out, item);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string toJsonText(const boost::json::value& v) {
  std::string out;
  appendJsonValue(out, v);
  return out;
}

}  // namespace wps::protocol
