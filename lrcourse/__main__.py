"""Command line: ``python -m lrcourse doctor`` checks this machine for the course;
``python -m lrcourse classroom build DIR`` writes an nbgrader course directory."""

import sys


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if not isinstance(args, list | tuple) or not all(isinstance(a, str) for a in args):
        raise ValueError(f"argv must be a list of strings, got {args!r}")
    if not args or args[0] in {"-h", "--help"}:
        print("usage: python -m lrcourse doctor [--json] [--no-tensorflow]")
        print("       python -m lrcourse classroom build DIR [NOTEBOOK ...]")
        return 0
    if args[0] == "classroom":
        from lrcourse.classroom import main as classroom

        return classroom(list(args[1:]))
    if args[0] != "doctor":
        print(f"unknown command {args[0]!r}; try: python -m lrcourse doctor", file=sys.stderr)
        return 2
    from lrcourse.doctor import main as doctor

    return doctor(args[1:])


if __name__ == "__main__":
    sys.exit(main())
