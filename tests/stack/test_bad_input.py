"""Start-up problems stop the stack with one clear sentence, not a stack trace."""

import socket
import subprocess
import sys

from .helpers import REPO, devstack, devstack_env


def _one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_missing_jdk_is_named_with_what_to_do(tmp_path):
    env = devstack_env(tmp_path / "state", PATH=str(tmp_path / "empty-bin"), JAVA_HOME="")
    sentence = _one_sentence(devstack("run", "--infra-only", env=env))
    assert sentence.startswith("error: Kafka 4.1.1 needs a Java runtime, version 17 or newer, and none was found")
    assert "apt-get install openjdk-17-jre-headless" in sentence
    assert "KAFKA_BOOTSTRAP_SERVERS" in sentence


def test_a_too_old_jdk_is_named(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").write_text('#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n')
    (bin_dir / "java").chmod(0o755)
    env = devstack_env(tmp_path / "state", PATH=str(bin_dir))
    assert "the one on PATH is 11" in _one_sentence(devstack("run", "--infra-only", env=env))


def test_a_taken_port_is_named_with_the_variable_that_moves_it(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = devstack_env(tmp_path / "state", POSTGRES_PORT=str(port))
        sentence = _one_sentence(devstack("run", "--infra-only", env=env))
    assert sentence == (
        f"error: Port {port} on 127.0.0.1, wanted for PostgreSQL, is already in use; stop whatever holds it "
        f"(`make stop` if it is an earlier stack) or choose another port with POSTGRES_PORT=<port>."
    )


def test_an_unreachable_database_server_is_named_without_its_password(tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    env = devstack_env(tmp_path / "state", POSTGRES_URL=f"postgresql://billing:s3cret@127.0.0.1:{port}/postgres")
    sentence = _one_sentence(devstack("run", "--infra-only", env=env))
    assert sentence.startswith(f"error: Cannot reach PostgreSQL at 127.0.0.1:{port}/postgres (")
    assert sentence.endswith("start that server, correct POSTGRES_URL, or unset it to use the embedded one.")
    assert "s3cret" not in sentence
    assert not (tmp_path / "state" / "run" / "kafka").exists(), "nothing starts before the checks pass"


def test_a_service_with_an_unreachable_database_says_so_in_one_sentence(tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    env = devstack_env(tmp_path, DATABASE_URL=f"postgresql+psycopg://billing:s3cret@127.0.0.1:{port}/accounts")
    done = subprocess.run([sys.executable, "-m", "accounts", "migrate"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    sentence = _one_sentence(done)
    assert sentence.startswith(f"Cannot reach the database at postgresql+psycopg://billing:***@127.0.0.1:{port}/accounts (")
    assert "s3cret" not in done.stderr + done.stdout
