"""Compile the packages' C parts next to their sources, for the Python running this; `make
install` runs it for every package, and each service's image build for the runtime and that service:
- the runtime's Kafka record unpacking (src/billing_runtime/messaging/_kafka_records.c, see
  record_unpacking.py), in every service's consumers;
- the runtime's arena cache (src/billing_runtime/_arena_cache.c, see allocator.py), in the same;
- invoicing's usage reader (src/invoicing/adapters/_usage_reader.c, see usage_messages.py);
- invoicing's usage tally (src/invoicing/domain/_usage_tally.c, see usage.py's `aggregate_usage`).

    python runtime/build_compiled.py [--optional] [PACKAGE_DIR...]   # default: runtime and services/*

A package's C parts are its `src/**/_*.c`. It needs a C compiler and Python's headers, nothing from
a package index. Without them it says so and exits 0 with `--optional`: that work is then done in
Python (correct, slower).
"""

import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def sources(packages: list[Path]) -> list[Path]:
    return sorted(source for package in packages for source in (package / "src").rglob("_*.c"))


def target(source: Path) -> Path:
    return source.with_name(source.stem + sysconfig.get_config_var("EXT_SUFFIX"))


def build(source: Path) -> None:
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    flags = ["-O2", "-std=gnu11", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
             "-Wno-missing-field-initializers", f"-I{sysconfig.get_paths()['include']}"]
    built_to = target(source)
    with tempfile.TemporaryDirectory(dir=source.parent) as scratch:
        built = Path(scratch) / built_to.name
        subprocess.run([*compiler, *flags, str(source), "-o", str(built)], check=True)
        built.replace(built_to)  # at once: a running service never loads half a file


def main() -> int:
    named = [Path(arg) for arg in sys.argv[1:] if not arg.startswith("--")]
    for source in sources(named or [REPOSITORY / "runtime", *sorted((REPOSITORY / "services").iterdir())]):
        built_to = target(source)
        if built_to.exists() and built_to.stat().st_mtime >= source.stat().st_mtime:
            continue
        try:
            build(source)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"warning: {source.name} was not compiled ({error}); its work is done in Python",
                  file=sys.stderr)
            if "--optional" not in sys.argv:
                return 1
            continue
        print(f"built {built_to.relative_to(Path.cwd()) if built_to.is_relative_to(Path.cwd()) else built_to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
