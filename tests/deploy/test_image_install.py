"""The image's install steps work: the builder stage of deploy/images/Dockerfile, run without Docker.

No Docker engine runs here, so the builder's own COPY and RUN lines are carried out in a
temporary folder instead (`/app` and `/src` moved under it, the build context filtered by
.dockerignore, uv the one `make` installed). What this proves is what a `docker build` would
find out first: the service's lock installs with its hashes, the workspace packages install
without the workspace around them, nothing the service imports is missing (`uv pip check`, then
importing the service's composition root), and no other service came along.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if "billing_deploy_check" not in sys.modules:  # test_deploy_manifests may have loaded it already
    _spec = importlib.util.spec_from_file_location("billing_deploy_check", REPO / "deploy" / "check.py")
    sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_spec.name])
check = sys.modules["billing_deploy_check"]
SERVICES = check.SERVICES


def _uv() -> str:
    found = shutil.which("uv") or REPO / ".state" / "tools" / "bin" / "uv"
    if not Path(found).exists():
        pytest.fail("uv is not installed; `make install` installs it into .state/tools")
    return str(found)


def _copy_context(source: str, target: str, workdir: Path, rules) -> None:
    """COPY as Docker does it, from the context .dockerignore leaves: a folder's contents into the
    target folder, a file into a target ending in `/` under its own name."""
    origin = REPO / source
    files = [origin] if origin.is_file() else [p for p in origin.rglob("*") if p.is_file()]
    for file in files:
        if check.dockerignored(file.relative_to(REPO).as_posix(), rules):
            continue
        if origin.is_dir():
            destination = workdir / target / file.relative_to(origin)
        else:
            destination = workdir / target / file.name if target.endswith("/") else workdir / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, destination)


def _build(service: str, root: Path) -> Path:
    stages = check.parse_dockerfile(check.DOCKERFILE.read_text())
    rules = check._dockerignore_rules(check.DOCKERIGNORE.read_text())
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_LINK_MODE": "copy", "VIRTUAL_ENV": ""}
    workdir = root
    for instruction in stages[0].instructions:
        args = instruction.args.replace("${SERVICE}", service).replace("$SERVICE", service)
        args = args.replace("/app/", f"{root}/app/").replace("/app ", f"{root}/app ")
        if args.endswith("/app"):
            args = args[:-4] + f"{root}/app"
        if instruction.keyword == "WORKDIR":
            workdir = root / args.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            source, target = args.split()
            _copy_context(source, target, workdir, rules)
        elif instruction.keyword == "RUN" and re.search(r"\buv (venv|pip)\b", args):
            command = re.sub(r"(^|&&\s*)uv ", lambda m: f"{m.group(1)}{_uv()} ", args)
            done = subprocess.run(command, shell=True, cwd=workdir, env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"`{instruction.args}` failed:\n{done.stdout}{done.stderr}"
    return root / "app" / ".venv" / "bin" / "python"


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_builder_installs_the_service_from_its_lock_alone(service, tmp_path):
    python = _build(service, tmp_path)
    imported = subprocess.run([python, "-c", f"import {service}.bootstrap, {service}.entrypoints.http"],
                              capture_output=True, text=True, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run([_uv(), "pip", "list", "--python", str(python), "--format", "freeze"],
                            capture_output=True, text=True, check=True).stdout
    installed = {line.split("==")[0].lower() for line in listed.splitlines()}
    assert {f"billing-{service}", "billing-runtime", "billing-contracts"} <= installed
    assert not installed & ({f"billing-{o}" for o in SERVICES if o != service} | {"billing-devstack", "pytest"})


def test_the_lock_files_pin_by_hash_and_name_no_download_address():
    for lock in sorted((REPO / "locks").glob("*.txt")):
        text = lock.read_text()
        assert "://" not in text, f"{lock.name} names a download address"
        pinned = re.findall(r"^[A-Za-z0-9_.-]+==\S+", text, re.M)
        hashed = re.findall(r"^[A-Za-z0-9_.-]+==\S+(?: ;[^\\\n]*)? \\\n\s+--hash=sha256:", text, re.M)
        assert pinned and len(hashed) == len(pinned), f"{lock.name}: every package pinned with its hashes"
