#!/usr/bin/env python3
"""Checks that README.md and the command line agree on the options (issue 14: the README's
option tables are written by hand, so they can drift from the parameter table the CLI is built
from).

Every `--option` that `efficientq --help` or `efficientq COMMAND --help` prints must appear in
README.md, and every `--option` README.md names must be one the CLI prints, except the few
README mentions of other tools' flags listed in FOREIGN (e.g. `cmake --install build --prefix P`).

usage: check_readme_options.py EFFICIENTQ_BINARY README.md
       check_readme_options.py --self-test
Exit 0 when they agree, 1 otherwise (each difference listed), 2 on usage errors.
"""
import re
import subprocess
import sys

COMMANDS = ["inspect", "segment", "eval", "quantize", "verify", "phantom", "overlay"]
FOREIGN = {"--install", "--prefix"}  # `cmake --install build --prefix P` in README's Installing
OPTION = re.compile(r"(?<![\w-])--[a-z0-9][a-z0-9-]*")


def options(text):
    return set(OPTION.findall(text))


def cli_options(binary):
    """Every option the CLI's help texts print, mapped to the commands that print it."""
    found = {}
    for command in [None] + COMMANDS:
        args = [binary] + ([command] if command else []) + ["--help"]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(args)} failed (exit {r.returncode}): {r.stderr.strip()}")
        for o in options(r.stdout + r.stderr):
            found.setdefault(o, []).append(command or "(every command)")
    return found


def differences(cli, readme_text):
    readme = options(readme_text)
    errors = []
    for o in sorted(set(cli) - readme):
        errors.append(f"{o} ({', '.join(cli[o])} --help) is not in README.md")
    for o in sorted(readme - set(cli) - FOREIGN):
        errors.append(f"{o} is in README.md but no efficientq --help prints it")
    return errors


def self_test():
    cli = {"--wbits": ["quantize"], "--roi": ["segment"]}
    ok = differences(cli, "use `--wbits 4` and `--roi D,H,W`; cmake --install build --prefix P")
    missing = differences(cli, "use `--wbits 4`")
    stale = differences(cli, "`--wbits`, `--roi`, `--old-flag`")
    hyphen = differences(cli, "`--wbits`, `--roi`, a-b--c, foo--bar")  # not options
    assert ok == [], ok
    assert missing == ["--roi (segment --help) is not in README.md"], missing
    assert stale == ["--old-flag is in README.md but no efficientq --help prints it"], stale
    assert hyphen == [], hyphen
    print("self-test passed")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        errors = differences(cli_options(argv[1]), f.read())
    for e in errors:
        print(e)
    if not errors:
        print("README.md names every CLI option, and only those")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
