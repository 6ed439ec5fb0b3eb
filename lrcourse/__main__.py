"""Command line: ``python -m lrcourse doctor`` checks this machine for the course."""

import sys


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in {"-h", "--help"}:
        print("usage: python -m lrcourse doctor [--json] [--no-tensorflow]")
        return 0
    if args[0] != "doctor":
        print(f"unknown command {args[0]!r}; try: python -m lrcourse doctor", file=sys.stderr)
        return 2
    from lrcourse.doctor import main as doctor

    return doctor(args[1:])


if __name__ == "__main__":
    sys.exit(main())
