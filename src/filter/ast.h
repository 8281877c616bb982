// The parsed form of a filter: an immutable arena of nodes built by the parser
// (filter/parser.h) and read by the checker and the evaluator. Once parseProgram() returns it,
// a Program is never modified, so any number of threads may read it at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wps::filter {

enum class NodeKind : uint8_t {
  kNullLiteral,    // null
  kBoolLiteral,    // true / false (boolValue)
  kIntLiteral,     // int32 (intValue)
  kStringLiteral,  // 'text' (Program::strings[index], unescaped)
  kUnsupported,    // a token the service recognises but does not support: an unknown identifier,
                   // an out-of-int32 integer, 1.5, duration'P1D', ... Its source text is the token.
  kIdentifier,     // userId / connectionId / groups / protocol (identifier)
  kCall,           // name(args...): function (kUnknown for any other name); children = args
  kNot,            // not x; children = {x}
  kIn,             // x in rhs; children = {x, items...} (isList) or {x, rhs}
  kChain,          // x op y op z ... (left-associative); children = operands (>= 2),
                   // Program::steps[index .. index + childCount - 1) = the operators
};

enum class Identifier : uint8_t { kUserId, kConnectionId, kGroups, kProtocol };

enum class Function : uint8_t {
  kLength,
  kToLower,
  kToUpper,
  kTrim,
  kContains,
  kStartsWith,
  kEndsWith,
  kIndexOf,
  kConcat,
  kSubstring,
  kUnknown,  // any other name, including a known name in the wrong case
};

// Binary operators. A chain holds either only kOr, only kAnd, or only comparisons.
enum class BinaryOp : uint8_t { kOr, kAnd, kEq, kNe, kGt, kGe, kLt, kLe };

inline bool isLogical(BinaryOp op) {
  return op == BinaryOp::kOr || op == BinaryOp::kAnd;
}

// One operator of a chain. Step i combines the result of steps < i (or operand 0) with operand
// i + 1; its own source text is [chain node begin, end).
// Plain value inside a Program.
struct ChainStep {
  BinaryOp op;
  uint32_t end;
};

// The literal items of an `x in (...)` list, indexed for membership tests that do not allocate.
// Plain value inside a Program.
struct InSet {
  std::vector<std::string> strings;  // sorted, unique
  std::vector<int32_t> ints;         // sorted, unique
  bool hasNull = false;
  bool hasTrue = false;
  bool hasFalse = false;
};

// One node of a Program. Plain value inside a Program.
struct Node {
  NodeKind kind = NodeKind::kNullLiteral;
  Identifier identifier = Identifier::kUserId;  // kIdentifier
  Function function = Function::kUnknown;       // kCall
  bool boolValue = false;                       // kBoolLiteral
  bool isList = false;                          // kIn: rhs is a literal list (else an operand)
  int32_t intValue = 0;                         // kIntLiteral
  // Source span [begin, end) in bytes, without enclosing parentheses or white space.
  uint32_t begin = 0;
  uint32_t end = 0;
  // kStringLiteral: Program::strings; kIn with isList: Program::inSets; kChain: first step.
  uint32_t index = 0;
  uint32_t firstChild = 0;  // into Program::children
  uint32_t childCount = 0;
};

// Built by the thread that calls parseProgram(); immutable afterwards and then readable from any
// number of threads at once.
struct Program {
  std::string text;  // the filter as given to parse()
  std::vector<Node> nodes;
  std::vector<uint32_t> children;  // node indices, referenced by Node::firstChild/childCount
  std::vector<ChainStep> steps;
  std::vector<std::string> strings;
  std::vector<InSet> inSets;
  uint32_t root = 0;

  // Node `i`. Precondition: i < nodes.size().
  const Node& node(uint32_t i) const { return nodes[i]; }
  // The i-th child node of `n`. Precondition: i < n.childCount.
  const Node& child(const Node& n, uint32_t i) const { return nodes[children[n.firstChild + i]]; }
  // The i-th operator of the kChain node `chain`. Precondition: i + 1 < chain.childCount.
  const ChainStep& step(const Node& chain, uint32_t i) const { return steps[chain.index + i]; }
  // The source text of a byte span (of a node). Precondition: begin <= end <= text.size().
  std::string_view source(uint32_t begin, uint32_t end) const {
    return std::string_view(text).substr(begin, end - begin);
  }
  std::string_view source(const Node& n) const { return source(n.begin, n.end); }
};

}  // namespace wps::filter
