#!/usr/bin/env python3
"""Layer dependency check: every quote-include under src/, app/, sdk/ and include/ must follow
the allowed module graph below; include/webpubsub/ may also only angle-include the standard
library and Boost.

Usage:
  check_layers.py [--root DIR]   check the tree at DIR (default: the repository of this script)
  check_layers.py --self-test    check a generated bad tree (must fail) and good tree (must pass)

Exit status 0 when every edge is allowed, 1 otherwise (each offending include is printed as
"file:line: ..." with the forbidden edge).
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import selftest  # noqa: E402

# --------------------------------------------------------------------------------------------
# The allowed graph.
#
# Server modules (folders under src/) in tiers, top to bottom. A module may include its own
# headers and any module of a lower tier; same-tier edges are forbidden unless listed in
# SAME_TIER_EXCEPTIONS.
TIERS = [
    ["app"],
    ["server"],
    ["cluster", "api", "transport"],
    ["core"],
    ["delivery"],
    ["upstream"],
    ["cloudevents", "auth", "filter", "protocol", "protocol/websocket", "http", "config",
     "metrics", "trace"],
    ["asio"],  # separately compiled Boost.Asio + AsioEventLoop; see RESTRICTED_USERS
    ["common"],
]

# Same-tier edges that are allowed anyway, each with its reason.
SAME_TIER_EXCEPTIONS = {
    ("config", "cloudevents"): "config validates URL templates with the owner of that syntax",
    ("config", "auth"): "config validates access keys with the owner of the access-key rule",
    ("config", "protocol"): "config validates hub and event names with the owner of the rules",
    ("cloudevents", "http"): "CloudEvents requests are HTTP requests (wps::http value types)",
    ("protocol", "protocol/websocket"): "the RFC 6455 codec is a subfolder of the protocol "
                                        "module (same layer, compiled as its own library)",
}

# Modules that only the listed modules may include (even from a higher tier).
RESTRICTED_USERS = {
    "asio": {"transport", "cluster", "sdk"},
}

# Modules whose includes are limited to an explicit list (which replaces the tier rule): app, and
# the trees outside src/. A listed module includes its subfolders (protocol/websocket).
ALLOW_LISTS = {
    # app is a thin main: it starts the server and nothing else.
    "app": {"server"},
    # The C++ SDK (sdk/*.cc): its public headers plus the server parts it shares (it never links
    # protobuf, so from protocol only headers that need no generated code, e.g. data_type.h).
    "sdk": {"webpubsub", "common", "http", "cloudevents", "auth", "protocol", "asio"},
    # Public SDK headers (include/webpubsub/): self-contained.
    "webpubsub": set(),
}

# Angle includes allowed in the public headers: the C++ standard library and Boost.
PUBLIC_ANGLE_PREFIXES = ("boost/",)
STD_HEADERS = set("""
    algorithm any array atomic barrier bit bitset cassert cctype cerrno cfenv cfloat charconv
    chrono cinttypes climits clocale cmath codecvt compare complex concepts condition_variable
    coroutine csetjmp csignal cstdarg cstddef cstdint cstdio cstdlib cstring ctime cuchar cwchar
    cwctype deque exception execution expected filesystem format forward_list fstream functional
    future initializer_list iomanip ios iosfwd iostream istream iterator latch limits list locale
    map memory memory_resource mutex new numbers numeric optional ostream queue random ranges
    ratio regex scoped_allocator semaphore set shared_mutex source_location span sstream stack
    stdexcept stop_token streambuf string string_view syncstream system_error thread tuple
    type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector
    version
""".split())
# --------------------------------------------------------------------------------------------

SCANNED_TREES = ("src", "app", "sdk", "include")
SOURCE_SUFFIXES = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx", ".inc")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')

TIER_OF = {m: i for i, tier in enumerate(TIERS) for m in tier}


def module_of_path(rel):
    """Module of a repository-relative path (forward slashes), or None if not scanned."""
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return module_of_include("/".join(parts[1:]))
    if parts[0] in ("app", "sdk"):
        return parts[0]
    if parts[0] == "include" and len(parts) > 2 and parts[1] == "webpubsub":
        return "webpubsub"
    return None


def module_of_include(target):
    """Module named by a quote-include path such as "core/engine.h", or None if unknown."""
    parts = target.split("/")
    if len(parts) < 2:
        return None
    two = parts[0] + "/" + parts[1]
    if len(parts) > 2 and two in TIER_OF:
        return two
    if parts[0] in TIER_OF or parts[0] in ALLOW_LISTS:
        return parts[0]
    return None


def edge_error(src, dst):
    """None when src may include dst, else the reason it may not."""
    if src == dst:
        return None
    if dst in RESTRICTED_USERS and src not in RESTRICTED_USERS[dst]:
        return "only %s may include %s" % (", ".join(sorted(RESTRICTED_USERS[dst])), dst)
    if src in ALLOW_LISTS:
        allowed = ALLOW_LISTS[src]
        if dst in allowed or dst.split("/")[0] in allowed:
            return None
        return "%s may include only %s" % (src, ", ".join(sorted(allowed)) or "itself")
    if dst not in TIER_OF:
        return "%s is not a server layer" % dst
    if TIER_OF[dst] > TIER_OF[src]:
        return None
    if TIER_OF[dst] < TIER_OF[src]:
        return "upward include"
    if (src, dst) in SAME_TIER_EXCEPTIONS:
        return None
    return "same-tier include (not a listed exception)"


def check_angle(src, target):
    """None when `src` may angle-include `target`."""
    if src != "webpubsub":
        return None
    if target in STD_HEADERS or target.startswith(PUBLIC_ANGLE_PREFIXES):
        return None
    return "public headers may angle-include only the standard library and <boost/...>"


def resolve_quote(root, rel_file, target):
    """Module of a quote-include, trying the include directories and the file's own folder."""
    module = module_of_include(target)
    if module is not None:
        return module
    local = os.path.normpath(os.path.join(os.path.dirname(rel_file), target))
    if os.path.exists(os.path.join(root, local)):
        return module_of_path(local.replace(os.sep, "/"))
    return None


def check_file(root, rel):
    """Yields "file:line: message" for each forbidden include of one file."""
    src = module_of_path(rel)
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for number, line in enumerate(lines, start=1):
        m = INCLUDE_RE.match(line)
        if not m:
            continue
        kind, target = m.group(1), m.group(2)
        if kind == "<":
            why = check_angle(src, target)
            shown = "<%s>" % target
            dst = target
        else:
            dst = resolve_quote(root, rel, target)
            why = "unknown module" if dst is None else edge_error(src, dst)
            shown = '"%s"' % target
        if why:
            yield "%s:%d: forbidden include %s (%s -> %s): %s" % (rel, number, shown, src, dst,
                                                                   why)


def source_files(root):
    for tree in SCANNED_TREES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, tree)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SOURCE_SUFFIXES):
                    path = os.path.join(dirpath, name)
                    rel = os.path.relpath(path, root).replace(os.sep, "/")
                    if module_of_path(rel) is not None:
                        yield rel


def check_tree(root, out):
    """Checks the tree at `root`, writing violations to `out`. Returns the violation count."""
    count = 0
    for rel in source_files(root):
        for message in check_file(root, rel):
            out.write(message + "\n")
            count += 1
    return count


# --------------------------------------------------------------------------------------------
# Self-test: a tiny generated tree per case.

GOOD_TREE = {
    "src/common/strings.h": '#pragma once\n#include <string>\n',
    "src/asio/loop.h": '#include "common/strings.h"\n',
    "src/http/message.h": '#include "common/strings.h"\n',
    "src/cloudevents/req.h": '#include "http/message.h"\n',
    "src/config/loader.cc": '#include "config/loader.h"\n#include "cloudevents/req.h"\n',
    "src/config/loader.h": '#pragma once\n',
    "src/protocol/names.cc": '#include "protocol/websocket/frame.h"\n#include "names.h"\n',
    "src/protocol/names.h": '#pragma once\n',
    "src/protocol/websocket/frame.h": '#include "common/strings.h"\n',
    "src/core/engine.h": '#include "upstream/x.h"\n#include "protocol/names.h"\n',
    "src/upstream/x.h": '#include "config/loader.h"\n',
    "src/transport/io.h": '#include "core/engine.h"\n#include "asio/loop.h"\n',
    "src/server/server.h": '#include "transport/io.h"\n#include "api/rest.h"\n',
    "src/api/rest.h": '#include "core/engine.h"\n',
    "app/main.cc": '#include "server/server.h"\n#include "app/main.h"\n',
    "app/main.h": '#pragma once\n',
    "sdk/upstream.cc": '#include "webpubsub/upstream.h"\n#include "asio/loop.h"\n'
                       '#include "protocol/names.h"\n#include "protocol/websocket/frame.h"\n',
    "include/webpubsub/upstream.h": '#include <boost/json/value.hpp>\n#include <map>\n'
                                    '#include "webpubsub/result.h"\n',
    "include/webpubsub/result.h": '#pragma once\n',
}

# Each bad case: (file, contents, line expected in the report, words expected in the report).
BAD_CASES = [
    ("src/common/x.h", '#pragma once\n#include <string>\n#include "core/engine.h"\n', 3,
     ["common -> core", "upward"]),
    ("app/run.cc", '#include "server/server.h"\n#include "core/x.h"\n', 2, ["app -> core"]),
    ("src/auth/jwt.cc", '// c\n#include "filter/ast.h"\n', 2, ["auth -> filter", "same-tier"]),
    ("src/core/loop.cc", '#include "asio/loop.h"\n', 1, ["core -> asio"]),
    ("sdk/client.cc", '#include "core/engine.h"\n', 1, ["sdk -> core"]),
    ("include/webpubsub/bad.h", '#include <spdlog/spdlog.h>\n', 1, ["<spdlog/spdlog.h>"]),
    ("include/webpubsub/bad2.h", '\n#include "common/strings.h"\n', 2, ["webpubsub -> common"]),
    ("src/protocol/websocket/p.cc", '#include "protocol/names.h"\n', 1,
     ["protocol/websocket -> protocol"]),
    ("src/http/x.cc", '#include "nowhere/x.h"\n', 1, ["unknown module"]),
]


def self_test():
    return selftest.run(check_tree, GOOD_TREE, BAD_CASES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--root", default=default_root, help="repository root to check")
    parser.add_argument("--self-test", action="store_true", help="test the checker itself")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    count = check_tree(args.root, sys.stdout)
    if count:
        print("%d forbidden include(s); the allowed graph is at the top of %s" %
              (count, os.path.relpath(__file__, args.root)))
        return 1
    print("layering: all includes follow the allowed graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())
