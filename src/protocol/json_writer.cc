#include "protocol/json_writer.h"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cmath>
#include <vector>

#include "common/strings.h"

namespace wps::protocol {
namespace {

// A finite double in its shortest round-trip form.
void appendDouble(std::string& out, double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
}

// basic_parser handler that writes the compact form of the document to `out`, and records where
// in `out` the value of the top-level member `member` lies (when `member` is not empty).
class JsonCompactor {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit JsonCompactor(std::string_view member) : member_(member) {}

  std::string out;
  std::optional<std::pair<std::size_t, std::size_t>> memberRange;  // [begin, end) in `out`

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) { return open('{', false); }
  bool on_object_end(std::size_t, boost::system::error_code&) { return close('}'); }
  bool on_array_begin(boost::system::error_code&) { return open('[', true); }
  bool on_array_end(std::size_t, boost::system::error_code&) { return close(']'); }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    Frame& f = stack_.back();
    if (!f.first) out.push_back(',');
    f.first = false;
    appendJsonString(out, text_);
    out.push_back(':');
    if (stack_.size() == 1) pending_ = !member_.empty() && text_ == member_;
    text_.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    beginValue();
    appendJsonString(out, text_);
    text_.clear();
    return endValue();
  }
  bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, boost::json::string_view, boost::system::error_code&) {
    return scalar(std::to_string(i));
  }
  bool on_uint64(uint64_t u, boost::json::string_view, boost::system::error_code&) {
    return scalar(std::to_string(u));
  }
  bool on_double(double d, boost::json::string_view s, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    beginValue();
    if (std::isfinite(d)) {
      appendDouble(out, d);
    } else {
      out += text_;  // out of range: the source text, a valid JSON number
    }
    text_.clear();
    return endValue();
  }
  bool on_bool(bool b, boost::system::error_code&) { return scalar(b ? "true" : "false"); }
  bool on_null(boost::system::error_code&) { return scalar("null"); }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    bool array;
    bool first = true;
  };

  // Before any value: the comma between array elements; the start of the member's value.
  void beginValue() {
    if (!stack_.empty() && stack_.back().array) {
      if (!stack_.back().first) out.push_back(',');
      stack_.back().first = false;
    }
    if (pending_ && stack_.size() == 1) start_ = out.size();
  }
  // After a complete value (a scalar, or a container once closed).
  bool endValue() {
    if (pending_ && stack_.size() == 1) {
      memberRange.emplace(start_, out.size());
      pending_ = false;
    }
    return true;
  }
  bool scalar(std::string_view text) {
    text_.clear();
    beginValue();
    out += text;
    return endValue();
  }
  bool open(char c, bool array) {
    beginValue();
    out.push_back(c);
    stack_.push_back(Frame{array});
    return true;
  }
  bool close(char c) {
    out.push_back(c);
    stack_.pop_back();
    return endValue();
  }

  std::string_view member_;
  std::vector<Frame> stack_;
  std::string text_;  // the key, string or number being read
  bool pending_ = false;
  std::size_t start_ = 0;
};

}  // namespace

bool appendJsonValue(std::string& out, const boost::json::value& v) {
  bool finite = true;
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
    case boost::json::kind::double_:
      finite = std::isfinite(v.get_double());
      if (finite) {
        appendDouble(out, v.get_double());
      } else {
        out += "null";
      }
      break;
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
        finite = appendJsonValue(out, item) && finite;
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
        finite = appendJsonValue(out, item) && finite;
      }
      out.push_back('}');
      break;
    }
  }
  return finite;
}

std::optional<std::string> toJsonText(const boost::json::value& v) {
  std::string out;
  if (!appendJsonValue(out, v)) return std::nullopt;
  return out;
}

std::optional<std::string> compactJsonText(std::string_view text, std::string_view member) {
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::json::basic_parser<JsonCompactor> parser(options, member);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || n != text.size() || !parser.done()) return std::nullopt;
  JsonCompactor& h = parser.handler();
  if (member.empty()) return std::move(h.out);
  if (!h.memberRange) return std::nullopt;
  return h.out.substr(h.memberRange->first, h.memberRange->second - h.memberRange->first);
}

}  // namespace wps::protocol
