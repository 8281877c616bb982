// Fuzz target for auth/group_pattern: the input up to the first '\n' is compiled as a pattern,
// every following line is matched against it, and (for small inputs) the result is compared
// with a straightforward memoised reference matcher over the raw pattern text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/group_pattern.h"

namespace {

// Byte length of the code point '?' consumes at s[i], or 0 when '?' cannot match there.
size_t questionLength(std::string_view s, size_t i) {
  if (i >= s.size() || s[i] == '.') return 0;
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80                   ? 1
               : (c >= 0xC0 && c <= 0xDF) ? 2
               : (c >= 0xE0 && c <= 0xEF) ? 3
               : (c >= 0xF0 && c <= 0xF7) ? 4
                                          : 0;
  if (len == 0 || s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Reference semantics straight from the grammar, on the raw (escaped) pattern.
class Reference {
 public:
  Reference(std::string_view p, std::string_view s)
      : p_(p), s_(s), memo_((p.size() + 1) * (s.size() + 1), -1) {}
  bool run() { return match(0, 0); }

 private:
  bool match(size_t pi, size_t si) {
    signed char& m = memo_[pi * (s_.size() + 1) + si];
    if (m >= 0) return m != 0;
    bool r = compute(pi, si);
    m = r ? 1 : 0;
    return r;
  }
  bool compute(size_t pi, size_t si) {
    if (pi == p_.size()) return si == s_.size();
    char c = p_[pi];
    if (c == '*') {
      size_t run = 0;
      while (pi + run < p_.size() && p_[pi + run] == '*')
        ++run;
      bool dots = run >= 2;
      for (size_t k = si;; ++k) {
        if (match(pi + run, k)) return true;
        if (k >= s_.size() || (!dots && s_[k] == '.')) return false;
      }
    }
    if (c == '?') {
      size_t len = questionLength(s_, si);
      return len != 0 && match(pi + 1, si + len);
    }
    size_t width = 1;
    if (c == '\\') {
      c = p_[pi + 1];  // compile() succeeded, so the escape is valid
      width = 2;
    }
    return si < s_.size() && s_[si] == c && match(pi + width, si + 1);
  }

  std::string_view p_, s_;
  std::vector<signed char> memo_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view pattern = input.substr(0, nl);
  auto compiled = wps::auth::GroupPattern::compile(pattern);
  if (!compiled.isOk()) return 0;
  (void)compiled->isLiteral();
  (void)compiled->matchesEverything();
  if (compiled->isLiteral() && !compiled->matches(compiled->literal())) __builtin_trap();
  if (nl == std::string_view::npos) {
    (void)compiled->matches("");
    return 0;
  }
  std::string_view rest = input.substr(nl + 1);
  while (true) {
    size_t end = rest.find('\n');
    std::string_view group = rest.substr(0, end);
    bool got = compiled->matches(group);
    if (pattern.size() * group.size() <= 64 * 1024) {
      if (got != Reference(pattern, group).run()) __builtin_trap();
    }
    if (compiled->matchesEverything() && !got) __builtin_trap();
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return 0;
}
