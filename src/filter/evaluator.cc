#include "filter/evaluator.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "filter/case_mapping.h"
#include "filter/text_functions.h"

namespace wps::filter {

namespace {

// A run-time value. Strings borrow from the program or the subject when they can, and own their
// bytes only when a function computed them.
struct Value {
  enum class Kind : uint8_t { kNull, kBool, kInt, kString, kCollection };

  Kind kind = Kind::kNull;
  bool boolean = false;
  bool owned = false;
  int32_t integer = 0;
  std::string_view borrowed;
  std::string storage;

  std::string_view str() const { return owned ? std::string_view(storage) : borrowed; }
  bool isTrue() const { return kind == Kind::kBool && boolean; }
  bool isString() const { return kind == Kind::kString; }
  bool isInt() const { return kind == Kind::kInt; }

  static Value null() { return {}; }
  static Value ofBool(bool b) {
    Value v;
    v.kind = Kind::kBool;
    v.boolean = b;
    return v;
  }
  static Value ofInt(int32_t i) {
    Value v;
    v.kind = Kind::kInt;
    v.integer = i;
    return v;
  }
  static Value ofView(std::string_view s) {
    Value v;
    v.kind = Kind::kString;
    v.borrowed = s;
    return v;
  }
  static Value ofOwned(std::string s) {
    Value v;
    v.kind = Kind::kString;
    v.owned = true;
    v.storage = std::move(s);
    return v;
  }
  static Value ofOptional(std::optional<std::string_view> s) { return s ? ofView(*s) : null(); }
  static Value collection() {
    Value v;
    v.kind = Kind::kCollection;
    return v;
  }
};

bool equals(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.boolean == b.boolean;
    case Value::Kind::kInt:
      return a.integer == b.integer;
    case Value::Kind::kString:
      return a.str() == b.str();
    case Value::Kind::kCollection:
      return true;  // there is only one collection: the subject's groups
  }
  return false;
}

bool compare(const Value& a, BinaryOp op, const Value& b) {
  switch (op) {
    case BinaryOp::kEq:
      return equals(a, b);
    case BinaryOp::kNe:
      return !equals(a, b);
    default:
      break;
  }
  if (!a.isInt() || !b.isInt()) return false;
  switch (op) {
    case BinaryOp::kGt:
      return a.integer > b.integer;
    case BinaryOp::kGe:
      return a.integer >= b.integer;
    case BinaryOp::kLt:
      return a.integer < b.integer;
    case BinaryOp::kLe:
      return a.integer <= b.integer;
    default:
      return false;
  }
}

bool contains(const InSet& set, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return set.hasNull;
    case Value::Kind::kBool:
      return v.boolean ? set.hasTrue : set.hasFalse;
    case Value::Kind::kInt:
      return std::binary_search(set.ints.begin(), set.ints.end(), v.integer);
    case Value::Kind::kString:
      return std::binary_search(set.strings.begin(), set.strings.end(), v.str(), std::less<>());
    case Value::Kind::kCollection:
      return false;
  }
  return false;
}

int32_t saturate(size_t n) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  return static_cast<int32_t>(std::min(n, kMax));
}

class Evaluator {
 public:
  Evaluator(const Program& program, const FilterSubject& subject) : p_(program), s_(subject) {}

  Value eval(uint32_t index) const {
    const Node& n = p_.node(index);
    switch (n.kind) {
      case NodeKind::kNullLiteral:
      case NodeKind::kUnsupported:  // rejected by the checker
        return Value::null();
      case NodeKind::kBoolLiteral:
        return Value::ofBool(n.boolValue);
      case NodeKind::kIntLiteral:
        return Value::ofInt(n.intValue);
      case NodeKind::kStringLiteral:
        return Value::ofView(p_.strings[n.index]);
      case NodeKind::kIdentifier:
        switch (n.identifier) {
          case Identifier::kUserId:
            return Value::ofOptional(s_.userId());
          case Identifier::kConnectionId:
            return Value::ofView(s_.connectionId());
          case Identifier::kGroups:
            return Value::collection();
          case Identifier::kProtocol:
            return Value::ofOptional(s_.protocol());
        }
        return Value::null();
      case NodeKind::kNot: {
        const Value v = arg(n, 0);
        return v.kind == Value::Kind::kBool ? Value::ofBool(!v.boolean) : Value::null();
      }
      case NodeKind::kIn:
        return Value::ofBool(evalIn(n));
      case NodeKind::kChain:
        return evalChain(n);
      case NodeKind::kCall:
        return evalCall(n);
    }
    return Value::null();
  }

 private:
  Value arg(const Node& n, uint32_t i) const { return eval(p_.children[n.firstChild + i]); }

  bool evalIn(const Node& n) const {
    const Value left = arg(n, 0);
    if (n.isList) return contains(p_.inSets[n.index], left);
    const Value right = arg(n, 1);
    return right.kind == Value::Kind::kCollection && left.isString() && s_.inGroup(left.str());
  }

  Value evalChain(const Node& n) const {
    const BinaryOp first = p_.step(n, 0).op;
    if (first == BinaryOp::kAnd || first == BinaryOp::kOr) {
      const bool decisive = first == BinaryOp::kOr;  // the value that ends the chain early
      for (uint32_t i = 0; i < n.childCount; ++i) {
        if (arg(n, i).isTrue() == decisive) return Value::ofBool(decisive);
      }
      return Value::ofBool(!decisive);
    }
    Value acc = arg(n, 0);
    for (uint32_t i = 0; i + 1 < n.childCount; ++i) {
      const Value right = arg(n, i + 1);
      acc = Value::ofBool(compare(acc, p_.step(n, i).op, right));
    }
    return acc;
  }

  Value evalCall(const Node& n) const {
    switch (n.function) {
      case Function::kLength:
        return evalLength(n);
      case Function::kToLower:
      case Function::kToUpper:
        return evalCaseMapping(n);
      case Function::kTrim:
        return evalTrim(n);
      case Function::kContains:
      case Function::kStartsWith:
      case Function::kEndsWith:
        return evalMatch(n);
      case Function::kIndexOf:
        return evalIndexOf(n);
      case Function::kConcat:
        return evalConcat(n);
      case Function::kSubstring:
        return evalSubstring(n);
      case Function::kUnknown:
        break;
    }
    return Value::null();
  }

  // length(s) of a string or of the groups; null otherwise.
  Value evalLength(const Node& n) const {
    const Value v = arg(n, 0);
    if (v.isString()) return Value::ofInt(text::length(v.str()));
    if (v.kind == Value::Kind::kCollection) return Value::ofInt(saturate(s_.groupCount()));
    return Value::null();
  }

  // tolower(s) / toupper(s); null for a non-string.
  Value evalCaseMapping(const Node& n) const {
    const Value v = arg(n, 0);
    if (!v.isString()) return Value::null();
    return Value::ofOwned(n.function == Function::kToLower ? toLowerInvariant(v.str())
                                                           : toUpperInvariant(v.str()));
  }

  // trim(s): a view when `s` is borrowed; null for a non-string.
  Value evalTrim(const Node& n) const {
    Value v = arg(n, 0);
    if (!v.isString()) return Value::null();
    const std::string_view trimmed = text::trimWhitespace(v.str());
    if (!v.owned) return Value::ofView(trimmed);
    return Value::ofOwned(std::string(trimmed));
  }

  // contains / startswith / endswith (s, t); false unless both are strings.
  Value evalMatch(const Node& n) const {
    const Value a = arg(n, 0);
    const Value b = arg(n, 1);
    if (!a.isString() || !b.isString()) return Value::ofBool(false);
    const std::string_view s = a.str();
    const std::string_view t = b.str();
    if (n.function == Function::kContains) {
      return Value::ofBool(s.find(t) != std::string_view::npos);
    }
    return Value::ofBool(n.function == Function::kStartsWith ? startsWith(s, t) : endsWith(s, t));
  }

  // indexof(s, t); -1 unless both are strings.
  Value evalIndexOf(const Node& n) const {
    const Value a = arg(n, 0);
    const Value b = arg(n, 1);
    if (!a.isString() || !b.isString()) return Value::ofInt(-1);
    return Value::ofInt(text::indexOf(a.str(), b.str()));
  }

  // concat(s, t): a lone string operand is returned as is; null when neither is a string.
  Value evalConcat(const Node& n) const {
    Value a = arg(n, 0);
    Value b = arg(n, 1);
    if (!a.isString()) {
      if (b.isString()) return b;
      return Value::null();
    }
    if (!b.isString()) return a;
    std::string joined;
    joined.reserve(a.str().size() + b.str().size());
    joined.append(a.str()).append(b.str());
    return Value::ofOwned(std::move(joined));
  }

  // substring(s, start[, count]); null for non-int bounds, a non-string or a bad range.
  Value evalSubstring(const Node& n) const {
    const Value s = arg(n, 0);
    const Value start = arg(n, 1);
    std::optional<int32_t> count;
    if (n.childCount == 3) {
      const Value c = arg(n, 2);
      if (!c.isInt()) return Value::null();
      count = c.integer;
    }
    if (!s.isString() || !start.isInt()) return Value::null();
    std::optional<std::string> cut = text::substring(s.str(), start.integer, count);
    return cut ? Value::ofOwned(std::move(*cut)) : Value::null();
  }

  const Program& p_;
  const FilterSubject& s_;
};

}  // namespace

bool evaluate(const Program& program, const FilterSubject& subject) {
  return Evaluator(program, subject).eval(program.root).isTrue();
}

}  // namespace wps::filter
