"""The self-test harness shared by the architecture checks: a checker must accept a good tree
and report every bad case exactly once, at the expected file:line, naming the expected words."""
import os
import sys
import tempfile


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


class Capture:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s


def run(check_tree, good_files, bad_cases):
    """check_tree(root, out) -> number of reports. bad_cases: (path, text, line, words)."""
    failures = []
    with tempfile.TemporaryDirectory() as good:
        write_tree(good, good_files)
        out = Capture()
        if check_tree(good, out) != 0:
            failures.append("the good tree was rejected:\n" + out.text)
    for rel, text, line, words in bad_cases:
        with tempfile.TemporaryDirectory() as bad:
            write_tree(bad, dict(good_files, **{rel: text}))
            out = Capture()
            count = check_tree(bad, out)
            where = "%s:%d:" % (rel, line)
            if count != 1 or where not in out.text or not all(w in out.text for w in words):
                failures.append("%s: expected one report at %s naming %s, got:\n%s" %
                                (rel, where, words, out.text or "(nothing)\n"))
    for message in failures:
        sys.stderr.write("self-test FAILED: " + message)
    if not failures:
        print("self-test passed (%d bad cases, 1 good tree)" % len(bad_cases))
    return 1 if failures else 0
