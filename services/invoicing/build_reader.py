"""Compile the usage reader (src/invoicing/adapters/_usage_reader.c) next to its source, for the
Python running this; `make install` runs it, and so does the image's build.

    python services/invoicing/build_reader.py [--optional]

It needs a C compiler and Python's headers, nothing from a package index. Without them it says so
and exits 0 with `--optional`: the service then reads every message in Python (correct, slower).
"""

import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

SOURCE = Path(__file__).parent / "src" / "invoicing" / "adapters" / "_usage_reader.c"
TARGET = SOURCE.with_name("_usage_reader" + sysconfig.get_config_var("EXT_SUFFIX"))


def build() -> None:
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    flags = ["-O2", "-std=gnu11", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
             "-Wno-missing-field-initializers", f"-I{sysconfig.get_paths()['include']}"]
    with tempfile.TemporaryDirectory(dir=TARGET.parent) as scratch:
        built = Path(scratch) / TARGET.name
        subprocess.run([*compiler, *flags, str(SOURCE), "-o", str(built)], check=True)
        built.replace(TARGET)  # at once: a running service never loads half a file


def main() -> int:
    if TARGET.exists() and TARGET.stat().st_mtime >= SOURCE.stat().st_mtime:
        return 0
    try:
        build()
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"warning: the compiled usage reader was not built ({error}); invoicing reads usage in Python",
              file=sys.stderr)
        return 0 if "--optional" in sys.argv else 1
    print(f"built {TARGET.relative_to(Path.cwd()) if TARGET.is_relative_to(Path.cwd()) else TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
