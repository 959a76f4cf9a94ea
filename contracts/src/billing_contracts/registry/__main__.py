"""`python -m billing_contracts.registry generate|check [--schemas-dir DIR]`; exit 1 on any problem."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from billing_contracts.registry.history import SCHEMAS_DIR, check, display, generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m billing_contracts.registry",
        description="Keep the committed JSON Schemas of the event contracts in step with the code.",
    )
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--schemas-dir", type=Path, default=SCHEMAS_DIR, help=f"default: {SCHEMAS_DIR}")
    arguments = parser.parse_args(argv)
    schemas_dir: Path = arguments.schemas_dir.resolve()
    if arguments.command == "generate":
        generated = generate(schemas_dir)
        for finding in generated.refused:
            print(f"refused: {finding}", file=sys.stderr)
        if generated.refused:
            print("Nothing was written.", file=sys.stderr)
            return 1
        for path in generated.written:
            print(f"wrote {display(path, schemas_dir)}")
        if not generated.written:
            print("Every schema is up to date.")
        return 0
    findings = check(schemas_dir)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"{len(findings)} problem(s) in {schemas_dir}.", file=sys.stderr)
        return 1
    print("The committed schemas match the code.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
