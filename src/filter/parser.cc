#include "filter/parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "common/utf8.h"
#include "filter/diagnostics.h"
#include "filter/lexer.h"

namespace wps::filter {

namespace {

constexpr std::array<std::string_view, 10> kKeywords = {"and", "or", "not", "in", "eq",
                                                        "ne",  "gt", "ge",  "lt", "le"};
// OData operators the service recognises but does not support.
constexpr std::array<std::string_view, 7> kUnsupportedOperators = {"add",   "sub", "mul", "div",
                                                                   "divby", "mod", "has"};

struct FunctionName {
  std::string_view name;
  Function function;
};
constexpr std::array<FunctionName, 10> kFunctions = {{
    {"length", Function::kLength},
    {"tolower", Function::kToLower},
    {"toupper", Function::kToUpper},
    {"trim", Function::kTrim},
    {"contains", Function::kContains},
    {"startswith", Function::kStartsWith},
    {"endswith", Function::kEndsWith},
    {"indexof", Function::kIndexOf},
    {"concat", Function::kConcat},
    {"substring", Function::kSubstring},
}};

struct IdentifierName {
  std::string_view name;
  Identifier identifier;
};
constexpr std::array<IdentifierName, 4> kIdentifiers = {{
    {"userId", Identifier::kUserId},
    {"connectionId", Identifier::kConnectionId},
    {"groups", Identifier::kGroups},
    {"protocol", Identifier::kProtocol},
}};

std::optional<BinaryOp> comparisonOp(std::string_view word) {
  if (word == "eq") return BinaryOp::kEq;
  if (word == "ne") return BinaryOp::kNe;
  if (word == "gt") return BinaryOp::kGt;
  if (word == "ge") return BinaryOp::kGe;
  if (word == "lt") return BinaryOp::kLt;
  if (word == "le") return BinaryOp::kLe;
  return std::nullopt;
}

// Parses an optionally signed decimal integer; nullopt when it does not fit int32.
std::optional<int32_t> parseInt32(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const int64_t limit = negative ? int64_t{1} << 31 : (int64_t{1} << 31) - 1;
  int64_t value = 0;
  for (char c : s) {
    value = value * 10 + (c - '0');
    if (value > limit) return std::nullopt;
  }
  return static_cast<int32_t>(negative ? -value : value);
}

// At most `max` bytes of `s`, cut at a character boundary, for quoting in messages.
std::string_view excerpt(std::string_view s, size_t max = 40) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

// Undoes one enter() when the nesting level is left (enter() always increments).
struct DepthGuard {
  int& depth;
  ~DepthGuard() { --depth; }
};

// An operand as seen by its parent: the node, and its span including any parentheses.
struct Operand {
  uint32_t node;
  uint32_t begin;
  uint32_t end;
};

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens) : tokens_(std::move(tokens)) {
    program_.text = std::string(text);
  }

  StatusOr<Program> run() {
    std::optional<Operand> root = parseExpr();
    if (root && peek().kind != TokenKind::kEnd) unexpected();
    if (!root || !error_.empty()) return filterError(program_.text, error_);
    program_.root = root->node;
    return std::move(program_);
  }

 private:
  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  std::string_view text(const Token& t) const { return t.text(program_.text); }
  bool peekWord(std::string_view word) const {
    return peek().kind == TokenKind::kWord && text(peek()) == word;
  }

  // Records the first error; always returns nullopt so callers can `return fail(...)`.
  std::nullopt_t fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return std::nullopt;
  }

  // A hint for a token that cannot appear where it is.
  std::string hint(const Token& t) const {
    const std::string_view s = text(t);
    if (t.kind == TokenKind::kWord) {
      for (std::string_view k : kKeywords) {
        if (s != k && iequals(s, k)) return " Keywords and operators are lower case.";
      }
      for (std::string_view op : kUnsupportedOperators) {
        if (s == op) return " Operator '" + std::string(op) + "' is not supported.";
      }
    }
    if (t.kind == TokenKind::kOther && s == "/") return " Paths and lambdas are not supported.";
    if (t.kind == TokenKind::kOther && s == "-") return " Arithmetic is not supported.";
    return "";
  }

  // "Unexpected '<token>' at position N." plus a hint. Out of line: message temporaries must not
  // sit in the recursive frames.
  [[gnu::noinline]] std::nullopt_t unexpected() {
    const Token& t = peek();
    return fail("Unexpected '" + std::string(excerpt(text(t))) + "' at position " +
                std::to_string(t.begin) + "." + hint(t));
  }

  [[gnu::noinline]] std::nullopt_t expected(std::string_view what) {
    const Token& t = peek();
    std::string message = std::string(what) + " expected at position " + std::to_string(t.begin);
    if (t.kind != TokenKind::kEnd) message += ", found '" + std::string(excerpt(text(t))) + "'";
    return fail(message + "." + hint(t));
  }

  bool enter() {
    if (++depth_ <= kMaxDepth) return true;
    tooDeep();
    return false;
  }

  [[gnu::noinline]] void tooDeep() {
    fail("The filter is nested too deeply (maximum depth " + std::to_string(kMaxDepth) + ").");
  }

  [[gnu::noinline]] uint32_t add(Node node, const std::vector<uint32_t>& kids = {}) {
    node.firstChild = static_cast<uint32_t>(program_.children.size());
    node.childCount = static_cast<uint32_t>(kids.size());
    program_.children.insert(program_.children.end(), kids.begin(), kids.end());
    program_.nodes.push_back(node);
    return static_cast<uint32_t>(program_.nodes.size() - 1);
  }

  [[gnu::noinline]] Operand leaf(Node node, const Token& first, const Token& last) {
    node.begin = first.begin;
    node.end = last.end;
    return {add(node), first.begin, last.end};
  }

  // expr = or-expr (one nesting level)
  std::optional<Operand> parseExpr() {
    DepthGuard guard{depth_};
    if (!enter()) return std::nullopt;
    return parseBinary(kOrLevel);
  }

  // Binary levels, lowest precedence first.
  static constexpr int kOrLevel = 0;
  static constexpr int kAndLevel = 1;
  static constexpr int kComparisonLevel = 2;

  // The operator of `level` at the current token, if any.
  std::optional<BinaryOp> peekOp(int level) const {
    if (peek().kind != TokenKind::kWord) return std::nullopt;
    const std::string_view word = text(peek());
    switch (level) {
      case kOrLevel:
        if (word == "or") return BinaryOp::kOr;
        return std::nullopt;
      case kAndLevel:
        if (word == "and") return BinaryOp::kAnd;
        return std::nullopt;
      default:
        return comparisonOp(word);
    }
  }

  // or-expr / and-expr / cmp-expr = operand *( op operand ), left-associative.
  // Stack: every nesting level costs the frames of parseExpr, parseBinary (x3), parseNot,
  // parseIn, parsePrimary and parseCall/parseParenthesised, so these stay small; bulky helpers
  // are kept out of line ([[gnu::noinline]]) so they do not grow the recursive frames.
  std::optional<Operand> parseBinary(int level) {
    std::optional<Operand> first = level < kComparisonLevel ? parseBinary(level + 1) : parseNot();
    if (!first || !peekOp(level)) return first;
    return parseChain(level, *first);
  }

  // The rest of a chain after its first operand, as one kChain node (a loop, not recursion).
  [[gnu::noinline]] std::optional<Operand> parseChain(int level, Operand first) {
    std::vector<uint32_t> operands{first.node};
    std::vector<ChainStep> steps;
    uint32_t end = first.end;
    while (std::optional<BinaryOp> op = peekOp(level)) {
      ++pos_;
      std::optional<Operand> next = level < kComparisonLevel ? parseBinary(level + 1) : parseNot();
      if (!next) return std::nullopt;
      operands.push_back(next->node);
      steps.push_back({*op, next->end});
      end = next->end;
    }
    return addChain(first.begin, end, operands, steps);
  }

  [[gnu::noinline]] Operand addChain(uint32_t begin, uint32_t end,
                                     const std::vector<uint32_t>& operands,
                                     const std::vector<ChainStep>& steps) {
    Node node;
    node.kind = NodeKind::kChain;
    node.begin = begin;
    node.end = end;
    node.index = static_cast<uint32_t>(program_.steps.size());
    program_.steps.insert(program_.steps.end(), steps.begin(), steps.end());
    return {add(node, operands), begin, end};
  }

  // not-expr = "not" not-expr / in-expr
  std::optional<Operand> parseNot() {
    if (!peekWord("not")) return parseIn();
    return parseNotOperand();
  }

  std::optional<Operand> parseNotOperand() {
    const uint32_t begin = peek().begin;
    ++pos_;
    DepthGuard guard{depth_};
    if (!enter()) return std::nullopt;
    std::optional<Operand> operand = parseNot();
    if (!operand) return std::nullopt;
    return addNot(begin, *operand);
  }

  [[gnu::noinline]] Operand addNot(uint32_t begin, Operand operand) {
    Node node;
    node.kind = NodeKind::kNot;
    node.begin = begin;
    node.end = operand.end;
    return {add(node, {operand.node}), begin, operand.end};
  }

  // in-expr = primary [ "in" ( literal-list / primary ) ]
  std::optional<Operand> parseIn() {
    std::optional<Operand> left = parsePrimary();
    if (!left || !peekWord("in")) return left;
    ++pos_;
    if (peek().kind == TokenKind::kLeftParen) return parseInList(*left);
    std::optional<Operand> rhs = parsePrimary();
    if (!rhs) return std::nullopt;
    return addIn(*left, *rhs);
  }

  [[gnu::noinline]] Operand addIn(Operand left, Operand rhs) {
    Node node;
    node.kind = NodeKind::kIn;
    node.begin = left.begin;
    node.end = rhs.end;
    return {add(node, {left.node, rhs.node}), left.begin, rhs.end};
  }

  [[gnu::noinline]] std::optional<Operand> parseInList(Operand left) {
    Node node;
    node.kind = NodeKind::kIn;
    node.begin = left.begin;
    node.isList = true;
    node.index = static_cast<uint32_t>(program_.inSets.size());
    std::vector<uint32_t> kids{left.node};
    InSet set;
    if (!parseList(kids, set)) return std::nullopt;
    program_.inSets.push_back(std::move(set));
    node.end = tokens_[pos_ - 1].end;  // the ')'
    return Operand{add(node, kids), node.begin, node.end};
  }

  // "(" [ literal *( "," literal ) ] ")": appends the item nodes to `kids`, indexes them in `set`.
  bool parseList(std::vector<uint32_t>& kids, InSet& set) {
    ++pos_;  // (
    if (peek().kind == TokenKind::kRightParen) {
      ++pos_;
      return true;
    }
    for (;;) {
      std::optional<Operand> item = parseLiteral();
      if (!item) {
        expected("Literal");
        return false;
      }
      kids.push_back(item->node);
      const Node& n = program_.nodes[item->node];
      switch (n.kind) {
        case NodeKind::kNullLiteral:
          set.hasNull = true;
          break;
        case NodeKind::kBoolLiteral:
          (n.boolValue ? set.hasTrue : set.hasFalse) = true;
          break;
        case NodeKind::kIntLiteral:
          set.ints.push_back(n.intValue);
          break;
        case NodeKind::kStringLiteral:
          set.strings.push_back(program_.strings[n.index]);
          break;
        default:
          break;  // unsupported literal: reported by the checker
      }
      if (peek().kind == TokenKind::kComma) {
        ++pos_;
        continue;
      }
      if (peek().kind == TokenKind::kRightParen) {
        ++pos_;
        break;
      }
      expected("',' or ')'");
      return false;
    }
    std::sort(set.strings.begin(), set.strings.end());
    set.strings.erase(std::unique(set.strings.begin(), set.strings.end()), set.strings.end());
    std::sort(set.ints.begin(), set.ints.end());
    set.ints.erase(std::unique(set.ints.begin(), set.ints.end()), set.ints.end());
    return true;
  }

  // A literal at the current token, or nullopt (without an error) when there is none.
  [[gnu::noinline]] std::optional<Operand> parseLiteral() {
    const Token& t = peek();
    const std::string_view s = text(t);
    Node node;
    switch (t.kind) {
      case TokenKind::kString: {
        std::string value;
        value.reserve(s.size() - 2);
        for (size_t i = 1; i + 1 < s.size(); ++i) {
          value.push_back(s[i]);
          if (s[i] == '\'') ++i;  // '' is one quote
        }
        node.kind = NodeKind::kStringLiteral;
        node.index = static_cast<uint32_t>(program_.strings.size());
        program_.strings.push_back(std::move(value));
        ++pos_;
        return leaf(node, t, t);
      }
      case TokenKind::kInteger: {
        std::optional<int32_t> value = parseInt32(s);
        node.kind = value ? NodeKind::kIntLiteral : NodeKind::kUnsupported;
        node.intValue = value.value_or(0);
        ++pos_;
        return leaf(node, t, t);
      }
      case TokenKind::kUnsupportedNumber:
        node.kind = NodeKind::kUnsupported;
        ++pos_;
        return leaf(node, t, t);
      case TokenKind::kWord: {
        if (s == "true" || s == "false") {
          node.kind = NodeKind::kBoolLiteral;
          node.boolValue = s == "true";
        } else if (s == "null") {
          node.kind = NodeKind::kNullLiteral;
        } else if (peek(1).kind == TokenKind::kString && peek(1).begin == t.end) {
          // A typed literal such as duration'P1D', binary'...', geography'...'.
          const Token quoted = peek(1);
          node.kind = NodeKind::kUnsupported;
          pos_ += 2;
          return leaf(node, t, quoted);
        } else {
          return std::nullopt;
        }
        ++pos_;
        return leaf(node, t, t);
      }
      default:
        return std::nullopt;
    }
  }

  // primary = literal / function-call / identifier / "(" expr ")"
  std::optional<Operand> parsePrimary() {
    if (std::optional<Operand> literal = parseLiteral()) return literal;
    switch (peek().kind) {
      case TokenKind::kLeftParen:
        return parseParenthesised();
      case TokenKind::kWord:
        if (peek(1).kind == TokenKind::kLeftParen) return parseCall();
        return parseIdentifier();
      case TokenKind::kOther:
        return unexpected();
      default:
        return expected("Expression");
    }
  }

  std::optional<Operand> parseParenthesised() {
    const uint32_t begin = peek().begin;
    ++pos_;
    std::optional<Operand> inner = parseExpr();
    if (!inner) return std::nullopt;
    if (peek().kind != TokenKind::kRightParen) return expected("')'");
    const uint32_t end = peek().end;
    ++pos_;
    return Operand{inner->node, begin, end};
  }

  [[gnu::noinline]] std::optional<Operand> parseIdentifier() {
    const Token t = peek();
    ++pos_;
    Node node;
    node.kind = NodeKind::kUnsupported;
    for (const IdentifierName& id : kIdentifiers) {
      if (iequals(text(t), id.name)) {
        node.kind = NodeKind::kIdentifier;
        node.identifier = id.identifier;
      }
    }
    return leaf(node, t, t);
  }

  // function-call = name "(" [ expr *( "," expr ) ] ")"; any name parses, the checker decides.
  std::optional<Operand> parseCall() {
    const size_t name = pos_;
    pos_ += 2;  // name (
    std::vector<uint32_t> args;
    if (peek().kind != TokenKind::kRightParen) {
      for (;;) {
        std::optional<Operand> arg = parseExpr();
        if (!arg) return std::nullopt;
        args.push_back(arg->node);
        if (peek().kind == TokenKind::kComma) {
          ++pos_;
          continue;
        }
        if (peek().kind == TokenKind::kRightParen) break;
        return expected("',' or ')'");
      }
    }
    ++pos_;  // )
    return addCall(tokens_[name], tokens_[pos_ - 1], args);
  }

  [[gnu::noinline]] Operand addCall(const Token& name, const Token& close,
                                    const std::vector<uint32_t>& args) {
    Node node;
    node.kind = NodeKind::kCall;
    for (const FunctionName& f : kFunctions) {
      if (text(name) == f.name) node.function = f.function;
    }
    node.begin = name.begin;
    node.end = close.end;
    return {add(node, args), name.begin, close.end};
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;
  Program program_;
};

}  // namespace

StatusOr<Program> parseProgram(std::string_view text) {
  if (!isValidUtf8(text)) {
    return filterError(utf8::sanitize(text), "The filter is not valid UTF-8.");
  }
  if (text.size() >= std::numeric_limits<uint32_t>::max()) {
    return filterError(excerpt(text), "The filter is too long.");
  }
  StatusOr<std::vector<Token>> tokens = tokenize(text);
  if (!tokens) return filterError(text, tokens.status().message());
  return Parser(text, std::move(tokens).value()).run();
}

}  // namespace wps::filter
