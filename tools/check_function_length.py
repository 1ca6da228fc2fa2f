#!/usr/bin/env python3
"""Reports C++ functions longer than a limit (issue 14: none over 120 lines under src/, capi/,
backends/).

A brace-matching scan, no compiler needed: comments, string and character literals (raw strings
too) and preprocessor lines are blanked first; then every `{` at namespace or class scope whose
header (the text since the previous `;`, `{` or `}`) has a parameter list and is not an
initializer (`= {`) or a type (`class`, `struct`, `union`, `enum`, `namespace`, `extern "C"`)
opens a function. Its length runs from the first line of its header (template line included) to
its closing brace. Lambdas and local classes count towards the function that holds them.

usage: check_function_length.py [--max N] PATH...   (folders are searched for .cpp/.hpp/.h/.cc)
       check_function_length.py --self-test
Exit 0 when no function is longer than N (default 120), 1 otherwise (each listed), 2 on usage
errors.
"""
import os
import re
import sys
import tempfile

EXTENSIONS = (".cpp", ".cc", ".hpp", ".h")


def blank(text):
    """The text with comments, literals and preprocessor lines replaced by spaces (newlines
    kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            # A preprocessor line, with its backslash continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if c in " \t":
            out.append(c)
            i += 1
            continue
        line_start = c == "\n"
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join("\n" if ch == "\n" else " " for ch in text[i:end]))
            i = end
            continue
        m = re.match(r'(?:u8|[uUL])?R"([^()\\\s]{0,16})\(', text[i:i + 40])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            out.append('""' + "".join("\n" if ch == "\n" else " " for ch in text[i + 2:end]))
            i = end
            continue
        if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            # A string or character literal (a digit separator 1'000 is not one).
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n - 1) - i - 1) + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


TYPE_HEADER = re.compile(r"\b(class|struct|union|enum|namespace)\b")
EXTERN_C = re.compile(r'\bextern\s*""\s*$')


def functions(text):
    """(name, first line, last line) of each function at namespace or class scope."""
    code = blank(text)
    found = []
    stack = []  # per open brace: "scope" (namespace/class/extern), "function", or "other"
    header_start = 0
    for i, c in enumerate(code):
        if c in ";":
            if not stack or stack[-1] == "scope":
                header_start = i + 1
        elif c == "{":
            if stack and stack[-1] != "scope":
                stack.append("inner")
                continue
            header = code[header_start:i]
            h = " ".join(header.split())
            if EXTERN_C.search(h) or (TYPE_HEADER.search(h) and "(" not in h.split("{")[0]
                                      .split(":")[0]):
                stack.append("scope")
            elif "(" in h and not re.search(r"=\s*$", h) and not re.match(r"^\s*=", h):
                stack.append("function")
                first = header_start + len(header) - len(header.lstrip())
                name = re.findall(r"([~\w:<>]+)\s*\(", h)
                found.append([name[0] if name else "?", code.count("\n", 0, first) + 1,
                              None, len(stack)])
            else:
                stack.append("other")
            header_start = i + 1
        elif c == "}":
            if not stack:
                continue
            kind = stack.pop()
            if kind == "function":
                for f in reversed(found):
                    if f[2] is None and f[3] == len(stack) + 1:
                        f[2] = code.count("\n", 0, i) + 1
                        break
            if not stack or stack[-1] == "scope":
                header_start = i + 1
    return [(f[0], f[1], f[2]) for f in found if f[2] is not None]


def files_under(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for name in sorted(names):
                    if name.endswith(EXTENSIONS):
                        yield os.path.join(root, name)
        else:
            yield p


def check(paths, limit, out=sys.stdout):
    long_ones = 0
    count = 0
    for path in files_under(paths):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name, first, last in functions(text):
            count += 1
            length = last - first + 1
            if length > limit:
                long_ones += 1
                print(f"{path}:{first}: {name} is {length} lines (limit {limit})", file=out)
    print(f"{count} functions checked, {long_ones} over {limit} lines", file=out)
    return long_ones


def self_test():
    """The checker finds what it must: a function of limit + 1 lines fails, one of limit lines
    passes, braces in comments, strings and initializers do not count, a member function in a
    class and one in a namespace are both found."""
    def body(n_lines):
        return "\n".join(f"  x += {k};" for k in range(n_lines - 2))
    cases = {
        "ok.cpp": ("namespace a {\nint f(int x) {\n" + body(10) + "\n}\n}  // namespace a\n", 0),
        "long.cpp": ("int g(int x) {\n" + body(121) + "\n}\n", 1),
        "edge.cpp": ("int g(int x) {\n" + body(120) + "\n}\n", 0),
        "tricky.cpp": ('struct S {\n  int m(int x) const {\n    const char* s = "{{{";  // }\n'
                       "    /* { */ int a[] = {1, 2};\n" + body(119) + "\n  }\n};\n"
                       "static const int t[] = {\n" + "1,\n" * 200 + "};\n", 1),
        "lambda.cpp": ("void h() {\n  auto l = [](int x) {\n" + body(130) + "\n  };\n}\n", 1),
    }
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, want) in cases.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            with open(os.devnull, "w") as null:
                got = check([path], 120, out=null)
            status = "ok  " if got == want else "FAIL"
            failures += got != want
            print(f"{status} {name}: {got} over the limit (want {want})")
    return failures


def main(argv):
    if argv[1:] == ["--self-test"]:
        return 1 if self_test() else 0
    limit = 120
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--max":
        limit = int(args[1])
        args = args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if check(args, limit) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
