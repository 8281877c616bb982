#include "filter/checker.h"

#include <optional>
#include <string>
#include <string_view>

#include "filter/diagnostics.h"

namespace wps::filter {

namespace {

// The type of a node's value for the dummy connection. kNullString is a string-typed null
// (userId, protocol): it counts as null for functions but as a string for comparisons and
// type messages, as in the service.
enum class DType : uint8_t { kNull, kBool, kInt, kString, kNullString, kCollection };

std::string_view typeName(DType t) {
  switch (t) {
    case DType::kNull:
      return "null";
    case DType::kBool:
      return "bool";
    case DType::kInt:
      return "int";
    case DType::kString:
    case DType::kNullString:
      return "string";
    case DType::kCollection:
      return "collection";
  }
  return "null";
}

bool isNullish(DType t) {
  return t == DType::kNull || t == DType::kNullString;
}
bool isStringTyped(DType t) {
  return t == DType::kString || t == DType::kNullString;
}

class Checker {
 public:
  explicit Checker(const Program& program) : p_(program) {}

  Status run() {
    const DType type = visit(p_.root);
    if (error_) {
      return filterError(
          error_->located ? p_.source(error_->begin, error_->end) : std::string_view(p_.text),
          error_->detail);
    }
    if (type != DType::kBool) {
      return filterError(p_.source(p_.node(p_.root)), typeMismatch(typeName(type), "bool"));
    }
    return Status::ok();
  }

 private:
  struct Error {
    bool located;  // false until an enclosing operator/call gives it a subject
    uint32_t begin;
    uint32_t end;
    std::string detail;
  };

  // An error whose subject is [begin, end). Returns a placeholder type.
  DType failAt(uint32_t begin, uint32_t end, std::string detail) {
    if (!error_) error_ = Error{true, begin, end, std::move(detail)};
    return DType::kNull;
  }
  DType failAt(const Node& n, std::string detail) {
    return failAt(n.begin, n.end, std::move(detail));
  }
  // An error still looking for its subject (a bare unsupported token).
  DType failUnlocated(std::string detail) {
    if (!error_) error_ = Error{false, 0, 0, std::move(detail)};
    return DType::kNull;
  }
  // Gives a pending unlocated error the subject [begin, end).
  void locate(uint32_t begin, uint32_t end) {
    if (error_ && !error_->located) {
      error_->located = true;
      error_->begin = begin;
      error_->end = end;
    }
  }

  DType visit(uint32_t index) {
    const Node& n = p_.node(index);
    switch (n.kind) {
      case NodeKind::kNullLiteral:
        return DType::kNull;
      case NodeKind::kBoolLiteral:
        return DType::kBool;
      case NodeKind::kIntLiteral:
        return DType::kInt;
      case NodeKind::kStringLiteral:
        return DType::kString;
      case NodeKind::kUnsupported:
        return failUnlocated(notSupported(p_.source(n)));
      case NodeKind::kIdentifier:
        switch (n.identifier) {
          case Identifier::kUserId:
          case Identifier::kProtocol:
            return DType::kNullString;
          case Identifier::kConnectionId:
            return DType::kString;
          case Identifier::kGroups:
            return DType::kCollection;
        }
        return DType::kNull;
      case NodeKind::kNot: {
        const DType operand = visit(p_.children[n.firstChild]);
        if (error_) return DType::kNull;  // `not` does not locate errors (as in the service)
        if (operand != DType::kBool) return failAt(n, typeMismatch(typeName(operand), "bool"));
        return DType::kBool;
      }
      case NodeKind::kIn:
        return visitIn(n);
      case NodeKind::kChain:
        return visitChain(n);
      case NodeKind::kCall:
        return visitCall(n);
    }
    return DType::kNull;
  }

  DType visitIn(const Node& n) {
    for (uint32_t i = 0; i < n.childCount; ++i) {
      const DType t = visit(p_.children[n.firstChild + i]);
      if (error_) {
        locate(n.begin, n.end);
        return DType::kNull;
      }
      if (i == 1 && !n.isList && t != DType::kCollection) {
        return failAt(n, typeMismatch(typeName(t), "collection"));
      }
    }
    return DType::kBool;
  }

  DType visitChain(const Node& n) {
    DType acc = visit(p_.children[n.firstChild]);
    if (error_) {
      locate(n.begin, p_.step(n, 0).end);
      return DType::kNull;
    }
    for (uint32_t i = 0; i + 1 < n.childCount; ++i) {
      const ChainStep& step = p_.step(n, i);
      const DType right = visit(p_.children[n.firstChild + i + 1]);
      if (error_) {
        locate(n.begin, step.end);
        return DType::kNull;
      }
      const auto mismatch = [&](DType actual, DType expected) {
        return failAt(n.begin, step.end, typeMismatch(typeName(actual), typeName(expected)));
      };
      switch (step.op) {
        case BinaryOp::kOr:
        case BinaryOp::kAnd:
          if (acc != DType::kBool) return mismatch(acc, DType::kBool);
          if (right != DType::kBool) return mismatch(right, DType::kBool);
          break;
        case BinaryOp::kEq:
        case BinaryOp::kNe:
          break;
        case BinaryOp::kGt:
        case BinaryOp::kGe:
        case BinaryOp::kLt:
        case BinaryOp::kLe:
          // Only an untyped null short-circuits; userId (a string-typed null) does not.
          if (acc == DType::kNull || right == DType::kNull) break;
          if (acc != DType::kInt) return mismatch(acc, DType::kInt);
          if (right != DType::kInt) return mismatch(right, DType::kInt);
          break;
      }
      acc = DType::kBool;
    }
    return acc;
  }

  // The number of arguments a known function takes.
  struct Arity {
    uint32_t min;
    uint32_t max;
  };
  static Arity arity(Function f) {
    switch (f) {
      case Function::kContains:
      case Function::kStartsWith:
      case Function::kEndsWith:
      case Function::kIndexOf:
      case Function::kConcat:
        return {2, 2};
      case Function::kSubstring:
        return {2, 3};
      default:
        return {1, 1};
    }
  }

  DType visitCall(const Node& n) {
    const std::string_view source = p_.source(n);
    if (n.function == Function::kUnknown) return failAt(n, notSupported(source));
    const Arity expected = arity(n.function);
    if (n.childCount < expected.min || n.childCount > expected.max) {
      return failAt(n, invalidToken(source));
    }
    switch (n.function) {
      case Function::kLength:
        return checkLength(n);
      case Function::kToLower:
      case Function::kToUpper:
      case Function::kTrim:
        return checkStringToString(n);
      case Function::kContains:
      case Function::kStartsWith:
      case Function::kEndsWith:
      case Function::kIndexOf:
        return checkStringPair(n);
      case Function::kConcat:
        return checkConcat(n);
      case Function::kSubstring:
        return checkSubstring(n);
      case Function::kUnknown:
        break;
    }
    return DType::kNull;
  }

  // Type of argument i of call `n`; on error the caller must return (the error is located at
  // the call).
  DType arg(const Node& n, uint32_t i) {
    const DType t = visit(p_.children[n.firstChild + i]);
    locate(n.begin, n.end);
    return t;
  }
  // Fails unless `t` is string-typed (the error is located at call `n`).
  void requireString(const Node& n, DType t) {
    if (!isStringTyped(t)) failAt(n, typeMismatch(typeName(t), "string"));
  }

  // length(s): int for a string or a collection, null for null.
  DType checkLength(const Node& n) {
    const DType s = arg(n, 0);
    if (error_) return DType::kNull;
    if (isNullish(s)) return DType::kNull;
    if (s == DType::kString || s == DType::kCollection) return DType::kInt;
    return failAt(n, invalidToken(p_.source(n)));
  }

  // tolower / toupper / trim (s): string, null for null.
  DType checkStringToString(const Node& n) {
    const DType s = arg(n, 0);
    if (error_) return DType::kNull;
    if (isNullish(s)) return DType::kNull;
    requireString(n, s);
    return DType::kString;
  }

  // contains / startswith / endswith (bool) and indexof (int) of two strings; a null argument
  // skips the string checks.
  DType checkStringPair(const Node& n) {
    const DType result = n.function == Function::kIndexOf ? DType::kInt : DType::kBool;
    const DType s = arg(n, 0);
    if (error_) return DType::kNull;
    const DType t = arg(n, 1);
    if (error_) return DType::kNull;
    if (isNullish(s) || isNullish(t)) return result;
    requireString(n, s);
    requireString(n, t);
    return result;
  }

  // concat(s, t): null when both are null, else string.
  DType checkConcat(const Node& n) {
    const DType s = arg(n, 0);
    if (error_) return DType::kNull;
    const DType t = arg(n, 1);
    if (error_) return DType::kNull;
    if (isNullish(s) && isNullish(t)) return DType::kNull;
    if ((isNullish(s) && t == DType::kString) || (isNullish(t) && s == DType::kString)) {
      return DType::kString;
    }
    requireString(n, s);
    requireString(n, t);
    return DType::kString;
  }

  // substring(s, start[, count]): int bounds; string, null for null.
  DType checkSubstring(const Node& n) {
    const DType s = arg(n, 0);
    if (error_) return DType::kNull;
    for (uint32_t i = 1; i < n.childCount; ++i) {
      const DType bound = arg(n, i);
      if (error_) return DType::kNull;
      if (bound != DType::kInt) return failAt(n, typeMismatch(typeName(bound), "int"));
    }
    if (isNullish(s)) return DType::kNull;
    requireString(n, s);
    return DType::kString;  // the service returns "" here without checking the range
  }

  const Program& p_;
  std::optional<Error> error_;
};

}  // namespace

Status checkProgram(const Program& program) {
  return Checker(program).run();
}

}  // namespace wps::filter
