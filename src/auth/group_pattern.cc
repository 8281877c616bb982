#include "auth/group_pattern.h"

#include <algorithm>

#include "common/utf8.h"

namespace wps::auth {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Length of the UTF-8 sequence starting at `pos` when it is a structurally complete sequence
// (lead byte plus the right number of continuation bytes); 0 otherwise.
size_t codePointLength(std::string_view s, size_t pos) {
  unsigned char c = static_cast<unsigned char>(s[pos]);
  size_t len;
  if (c < 0x80) {
    return 1;
  } else if (c >= 0xC0 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
  } else if (c >= 0xF0 && c <= 0xF7) {
    len = 4;
  } else {
    return 0;  // a stray continuation byte or an invalid lead byte
  }
  if (s.size() - pos < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[pos + k]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

StatusOr<GroupPattern> GroupPattern::compile(std::string_view pattern) {
  if (pattern.empty()) return invalidArgument("the pattern is empty");
  if (utf16Length(pattern) > kMaxLength) {
    return invalidArgument("the pattern is longer than 1024 characters");
  }
  GroupPattern p;
  size_t stars = 0;
  auto addLiteralByte = [&p](char c) {
    if (p.tokens_.empty() || p.tokens_.back().kind != Kind::kLiteral) {
      p.tokens_.push_back({Kind::kLiteral, static_cast<uint32_t>(p.literals_.size()), 0});
    }
    p.literals_.push_back(c);
    ++p.tokens_.back().length;
    ++p.minLength_;
  };
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 >= pattern.size()) {
        return invalidArgument("the pattern ends with a lone backslash");
      }
      char next = pattern[i + 1];
      if (next != '*' && next != '?' && next != '\\') {
        std::string message = "invalid escape sequence in the pattern";
        if (next > 0x20 && next < 0x7F) {
          message += ": '\\";
          message.push_back(next);
          message += "'";
        }
        return invalidArgument(std::move(message));
      }
      addLiteralByte(next);
      i += 2;
    } else if (c == '?') {
      p.tokens_.push_back({Kind::kAnyChar, 0, 0});
      ++p.minLength_;
      ++i;
    } else if (c == '*') {
      size_t run = 0;
      while (i < pattern.size() && pattern[i] == '*') {
        ++run;
        ++i;
      }
      stars += run;
      if (stars > kMaxStars) {
        return invalidArgument("the pattern has more than 5 '*' characters");
      }
      p.tokens_.push_back({run >= 2 ? Kind::kDoubleStar : Kind::kStar, 0, 0});
      p.hasStar_ = true;
    } else {
      addLiteralByte(c);
      ++i;
    }
  }
  p.source_.assign(pattern);
  return p;
}

bool GroupPattern::isLiteral() const {
  return std::all_of(tokens_.begin(), tokens_.end(),
                     [](const Token& t) { return t.kind == Kind::kLiteral; });
}

bool GroupPattern::matchesEverything() const {
  bool sawDouble = false;
  for (const Token& t : tokens_) {
    if (t.kind == Kind::kDoubleStar) {
      sawDouble = true;
    } else if (t.kind != Kind::kStar) {
      return false;
    }
  }
  return sawDouble;
}

std::string GroupPattern::literal() const {
  std::string out;
  for (const Token& t : tokens_) {
    if (t.kind == Kind::kLiteral) out.append(literals_, t.offset, t.length);
  }
  return out;
}

size_t GroupPattern::runChunk(size_t first, size_t last, std::string_view group, size_t pos) const {
  for (size_t k = first; k < last; ++k) {
    const Token& t = tokens_[k];
    if (t.kind == Kind::kLiteral) {
      if (group.size() - pos < t.length) return kNpos;
      if (group.compare(pos, t.length, std::string_view(literals_).substr(t.offset, t.length)) !=
          0) {
        return kNpos;
      }
      pos += t.length;
    } else {  // kAnyChar: one code point other than '.'
      if (pos >= group.size() || group[pos] == '.') return kNpos;
      size_t len = codePointLength(group, pos);
      if (len == 0) return kNpos;
      pos += len;
    }
  }
  return pos;
}

bool GroupPattern::matches(std::string_view group) const {
  if (group.size() < minLength_) return false;
  if (!hasStar_) return runChunk(0, tokens_.size(), group, 0) == group.size();

  // reach[p]: the tokens processed so far can match group[0, p). Each token transforms the
  // vector in place in one pass, so the whole match is O(n * tokens).
  const size_t n = group.size();
  std::vector<unsigned char> reach(n + 1, 0);
  reach[0] = 1;
  size_t k = 0;
  while (k < tokens_.size()) {
    Kind kind = tokens_[k].kind;
    bool any = false;
    if (kind == Kind::kStar || kind == Kind::kDoubleStar) {
      const bool dots = kind == Kind::kDoubleStar;
      for (size_t p = 0; p <= n; ++p) {
        if (!reach[p] && p > 0 && reach[p - 1] && (dots || group[p - 1] != '.')) reach[p] = 1;
        any = any || reach[p];
      }
      ++k;
    } else {
      // A run of star-free tokens consumes at least one byte from every start, so scanning the
      // starts from the end lets each result land on a position already visited.
      size_t end = k;
      while (end < tokens_.size() && tokens_[end].kind != Kind::kStar &&
             tokens_[end].kind != Kind::kDoubleStar) {
        ++end;
      }
      for (size_t p = n + 1; p-- > 0;) {
        if (!reach[p]) continue;
        reach[p] = 0;
        size_t e = runChunk(k, end, group, p);
        if (e != kNpos) {
          reach[e] = 1;
          any = true;
        }
      }
      k = end;
    }
    if (!any) return false;
  }
  return reach[n] != 0;
}

}  // namespace wps::auth
