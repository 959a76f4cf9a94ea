"""`make run` starts everything; `make stop`, Ctrl-C and even SIGKILL leave no process behind."""

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .helpers import REPO, devstack, devstack_env, pid_alive, processes_mentioning


def _start(state: Path, *args: str) -> tuple[subprocess.Popen[str], dict, Path]:
    env = devstack_env(state)
    log = state.parent / "run.log"
    state.mkdir(parents=True)
    with log.open("w") as out:
        supervisor = subprocess.Popen([sys.executable, "-m", "devstack", "run", *args], env=env, cwd=REPO,
                                      stdout=out, stderr=subprocess.STDOUT, text=True)
    runfile = state / "run" / "stack.json"
    deadline = time.monotonic() + 180
    while not runfile.exists():
        if supervisor.poll() is not None or time.monotonic() > deadline:
            supervisor.kill()
            pytest.fail(f"devstack run did not come up:\n{log.read_text()}")
        time.sleep(0.3)
    return supervisor, json.loads(runfile.read_text()), log


def _assert_nothing_left(state: Path, record: dict) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = [pid for pid in record["groups"] if pid_alive(pid)]
        stray = processes_mentioning(str(state))
        if not alive and not stray:
            return
        time.sleep(0.3)
    pytest.fail(f"left running: pids {alive}, processes {stray}")


def test_run_starts_every_service_ready_and_stop_leaves_nothing(tmp_path):
    state = tmp_path / "state"
    supervisor, record, log = _start(state)
    try:
        assert set(record["urls"]) == {"accounts", "payments", "invoicing", "notifications"}
        for service, url in record["urls"].items():
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                body = json.load(response)
            assert body == {"ready": True, "service": service, "checks": {"database": True, "broker": True}}
        summary = log.read_text()
        assert all(url in summary for url in record["urls"].values())
        assert str(state / "run" / "mailbox") in summary

        stopped = devstack("stop", env=devstack_env(state))
        assert stopped.returncode == 0, stopped.stderr
        assert supervisor.wait(60) == 0
    finally:
        supervisor.kill()
    _assert_nothing_left(state, record)
    assert not (state / "run" / "stack.json").exists()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_an_interrupted_or_killed_supervisor_leaves_no_orphan(tmp_path, how):
    state = tmp_path / "state"
    supervisor, record, _ = _start(state, "--infra-only")
    assert len(record["groups"]) == 4
    assert all(pid_alive(pid) for pid in record["groups"])
    supervisor.send_signal(how)
    supervisor.wait(60)
    _assert_nothing_left(state, record)
