#!/usr/bin/env python3
"""Function length check: no function body in src/, sdk/ or app/ may be longer than 60 lines
(the lines between its opening and its closing brace), unless the comment block directly above
its signature (or the line just above the signature) carries the marker
"long-function: <reason>". Generated protobuf code (*.pb.*) is not checked; tests are not
scanned.

The C++ scanner is a heuristic: comments, string and character literals (raw strings too) and
preprocessor lines are blanked, then braces are tracked. A '{' directly inside namespace/class
scope that follows a parameter list (plus qualifiers or a trailing return type) or a complete
constructor initializer list opens a function body; lambdas and local classes inside a function
count as part of it.

Usage:
  check_function_length.py [--root DIR] [--limit N]
  check_function_length.py --self-test
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import selftest  # noqa: E402

LIMIT = 60
SCANNED_TREES = ("src", "sdk", "app")
SOURCE_SUFFIXES = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx")
MARKER_RE = re.compile(r"long-function:\s*\S")

# --------------------------------------------------------------------------------------------
# Blanking: the result has the same length and line breaks as the input, with comments,
# literal contents and preprocessor directives replaced by spaces.

IDENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
RAW_PREFIX_RE = re.compile(r"(?:^|[^\w])(?:u8|u|U|L)?R$")


def blank(text):
    return re.sub(r"[^\n]", " ", text)


def skip_quoted(src, i, quote):
    """Index just past the literal that starts with `quote` at src[i]."""
    j = i + 1
    while j < len(src) and src[j] != quote and src[j] != "\n":
        j += 2 if src[j] == "\\" else 1
    return min(j + 1, len(src))


def is_digit_separator(src, i):
    """True when the quote at src[i] separates digits (1'000'000) rather than opening a char."""
    j = i
    while j > 0 and (src[j - 1] in IDENT_CHARS or src[j - 1] in ".'"):
        j -= 1
    return j < i and src[j].isdigit()


def directive_end(src, i):
    """End of the preprocessor directive starting at src[i] (line continuations included)."""
    while True:
        j = src.find("\n", i)
        if j < 0:
            return len(src)
        if src[j - 1] != "\\":
            return j
        i = j + 1


def strip_code(src):
    out = []
    i = 0
    n = len(src)
    at_line_start = True
    while i < n:
        c = src[i]
        if c == "\n":
            out.append(c)
            i += 1
            at_line_start = True
            continue
        if c in " \t":
            out.append(c)
            i += 1
            continue
        if c == "#" and at_line_start:
            j = directive_end(src, i)
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c == '"' and RAW_PREFIX_RE.search(src[max(0, i - 4):i]):
            m = re.match(r'"([^()\\\s]{0,16})\(', src[i:])
            end = src.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
        elif c == '"' or (c == "'" and not is_digit_separator(src, i)):
            j = skip_quoted(src, i, c)
        else:
            out.append(c)
            i += 1
            at_line_start = False
            continue
        out.append(blank(src[i:j]))
        i = j
        at_line_start = False
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Classifying a '{' met directly in namespace or class scope, from the declaration head before
# it (the text since the previous ';', '{' or '}' of that scope).

QUALIFIERS = r"(?:(?:const|volatile|noexcept|override|final|mutable|&&|&|\(\))\s*)*"
FUNCTION_HEAD_RE = re.compile(r"\)\s*" + QUALIFIERS + r"(?:->[^;]*)?$")
CTOR_INIT_RE = re.compile(r"\)\s*" + QUALIFIERS + r":(?!:)(.*)$", re.S)
SCOPE_KEYWORD_RE = re.compile(r"\b(?:class|struct|union|enum)\b")
ACCESS_RE = re.compile(r"\s*(?:(?:public|private|protected)\s*:(?!:)\s*)+")


def collapse_groups(head):
    """Replaces the contents of balanced (...) and {...} groups with nothing: f(a, {1}) -> f()."""
    out = []
    depth = 0
    for c in head:
        if c in "({":
            if depth == 0:
                out.append(c)
            depth += 1
        elif c in ")}":
            depth -= 1
            if depth == 0:
                out.append(c)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def drop_templates(h):
    """Removes template<...> parameter lists, [[attributes]] and alignas() from a head."""
    h = re.sub(r"\[\[.*?\]\]", " ", h)
    h = re.sub(r"\balignas\s*\(\)", " ", h)
    while True:
        m = re.search(r"\btemplate\s*<", h)
        if not m:
            return h
        depth = 0
        for k in range(m.end() - 1, len(h)):
            depth += {"<": 1, ">": -1}.get(h[k], 0)
            if depth == 0:
                break
        h = h[:m.start()] + " " + h[k + 1:]


def classify(head):
    """'scope', 'function' or 'other' for the '{' that follows `head`."""
    h = drop_templates(collapse_groups(head)).strip()
    if re.search(r"\bnamespace\b", h) or re.search(r'\bextern\s*"[^"]*"$', h):
        return "scope"
    if SCOPE_KEYWORD_RE.search(h) and "(" not in h:
        return "scope"
    if FUNCTION_HEAD_RE.search(h):
        return "function"
    m = CTOR_INIT_RE.search(h)
    if m and re.search(r"(?:\(\)|\{\}|\.\.\.)\s*$", m.group(1)):
        return "function"
    return "other"


def function_name(head):
    h = drop_templates(collapse_groups(head))
    m = re.search(r"(operator\s*\(\)|operator\s*[^\s(]+|[~\w:]+)\s*\(\)", h)
    return m.group(1) if m else "(lambda)"


# --------------------------------------------------------------------------------------------
# Scanning one file.


class Scope:
    def __init__(self, kind, pos, head_start):
        self.kind = kind
        self.pos = pos
        self.head_start = head_start  # start of the declaration head (functions)
        self.boundary = pos + 1  # where the next declaration head of this scope starts
        self.parens = 0


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def has_marker(lines, signature_line):
    """Whether the line above the signature or the comment block right above it is marked."""
    k = signature_line - 2  # index of the line just above the signature
    if k >= 0 and MARKER_RE.search(lines[k]):
        return True
    while k >= 0:
        s = lines[k].strip()
        if not (s.startswith(("//", "/*", "*")) or s.endswith("*/")):
            return False
        if MARKER_RE.search(s):
            return True
        k -= 1
    return False


def head_start(code, begin, end):
    """First code character of the declaration head code[begin:end] (access labels skipped)."""
    m = ACCESS_RE.match(code, begin, end)
    pos = m.end() if m else begin
    while pos < end and code[pos].isspace():
        pos += 1
    return pos


def open_brace(code, stack, pos):
    top = stack[-1]
    in_scope = all(s.kind == "scope" for s in stack)
    kind = "other"
    start = pos
    if in_scope and top.parens == 0:
        kind = classify(code[top.boundary:pos])
        start = head_start(code, top.boundary, pos)
    stack.append(Scope(kind, pos, start))


def close_brace(code, stack, pos, found):
    if len(stack) == 1:
        return  # unbalanced: ignore
    scope = stack.pop()
    if scope.kind in ("scope", "function"):
        stack[-1].boundary = pos + 1
    if scope.kind == "function":
        found.append((scope.head_start, scope.pos, pos))


def scan_functions(code):
    """(head start, '{' position, '}' position) of every function body in blanked code."""
    stack = [Scope("scope", -1, 0)]
    found = []
    for pos, c in enumerate(code):
        if c == "{":
            open_brace(code, stack, pos)
        elif c == "}":
            close_brace(code, stack, pos, found)
        elif c == "(":
            stack[-1].parens += 1
        elif c == ")":
            stack[-1].parens = max(0, stack[-1].parens - 1)
        elif c == ";" and stack[-1].parens == 0:
            stack[-1].boundary = pos + 1
    return found


def check_file(root, rel, limit):
    """Yields "file:line: message" for each over-long unmarked function of one file."""
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        text = f.read()
    code = strip_code(text)
    lines = text.split("\n")
    for start, open_pos, close_pos in scan_functions(code):
        body = line_of(code, close_pos) - line_of(code, open_pos) - 1
        signature = line_of(code, start)
        if body > limit and not has_marker(lines, signature):
            name = function_name(code[start:open_pos])
            yield ('%s:%d: function %s has a %d-line body (limit %d): split it into named '
                   'helpers, or justify it with "// long-function: <reason>" just above its '
                   'signature' % (rel, signature, name, body, limit))


def source_files(root):
    for tree in SCANNED_TREES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, tree)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SOURCE_SUFFIXES) and ".pb." not in name:
                    path = os.path.join(dirpath, name)
                    yield os.path.relpath(path, root).replace(os.sep, "/")


def check_tree(root, out, limit=LIMIT):
    count = 0
    for rel in source_files(root):
        for message in check_file(root, rel, limit):
            out.write(message + "\n")
            count += 1
    return count


# --------------------------------------------------------------------------------------------
# Self-test.


def body(n, indent="  "):
    return "".join("%sx += %d;\n" % (indent, i) for i in range(n))


def tricky_body(n):
    """n lines full of braces inside literals and comments, which must not confuse the scan."""
    samples = [
        '  s += "}{ \\" }";\n',
        "  c = '{';\n",
        '  r = R"x(} ) " {)x";\n',
        "  // }}}\n",
        "  /* { */ x += 1'000'000;\n",
        "  c = '}'; c = '\\'';\n",
    ]
    return "".join(samples[i % len(samples)] for i in range(n))


GOOD_FILES = {
    "src/a/ok.cc": "namespace a {\nvoid sixty() {\n" + body(60) + "}\n}  // namespace a\n",
    "src/a/marked.cc": "// Does a lot.\n// long-function: one table-driven switch, clearer whole\n"
                       "int marked(int x)\n{\n" + body(80) + "  return x;\n}\n",
    "src/a/marked_above.cc": "// long-function: a generated-style state machine\n"
                             "// Runs it.\ntemplate <class T>\nvoid m(T t) {\n" + body(70) + "}\n",
    "src/a/table.cc": "const int kTable[] = {\n" + "  1,\n" * 100 + "};\n"
                      "struct S { int v[3]; };\nconst S kS{{\n" + "  1,\n" * 80 + "}};\n",
    "src/a/tricky.cc": "void t() {\n" + tricky_body(60) + "}\n",
    "src/a/macro.h": "#define BLOCK(x) { \\\n" + "  x; \\\n" * 70 + "}\n",
    "src/a/webpubsub.pb.cc": "void generated() {\n" + body(200) + "}\n",
    "tests/a/long_test.cc": "void test() {\n" + body(200) + "}\n",
    "sdk/ok.cc": "struct C {\n  C(int a) : a_{a}, b_{a} {\n" + body(50, "    ") + "  }\n"
                 "  int a_, b_;\n};\n",
}

# (file, contents, line expected in the report, words expected in the report)
BAD_CASES = [
    ("src/b/long.cc", "namespace b {\n\nint sixtyOne(int x) {\n" + body(61) + "  }\n}\n", 3,
     ["sixtyOne", "61-line"]),
    ("src/b/lambda.cc", "void outer() {\n  auto f = [&] {\n" + body(70, "    ") + "  };\n}\n", 1,
     ["outer"]),
    ("src/b/member.h", "class K {\n public:\n  // Does it.\n  void run() const {\n" +
     body(65, "    ") + "  }\n};\n", 4, ["run"]),
    ("app/ctor.cc", "K::K(int a)\n    : a_(a),\n      b_{a} {\n" + body(61) + "}\n", 1, ["K::K"]),
    ("sdk/no_reason.cc", "// long-function:\nvoid f() {\n" + body(61) + "}\n", 2, ["f"]),
    ("src/b/tricky.cc", "void t2() {\n" + tricky_body(61) + "}\n", 1, ["t2"]),
    ("src/b/trailing.cc", "auto g() -> int\n{\n" + body(61) + "}\n", 1, ["g"]),
]


def self_test():
    return selftest.run(check_tree, GOOD_FILES, BAD_CASES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--root", default=default_root, help="repository root to check")
    parser.add_argument("--limit", type=int, default=LIMIT, help="maximum body lines")
    parser.add_argument("--self-test", action="store_true", help="test the checker itself")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    count = check_tree(args.root, sys.stdout, args.limit)
    if count:
        print("%d function(s) longer than %d lines" % (count, args.limit))
        return 1
    print("function_length: no function body is longer than %d lines" % args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
