"""PostgreSQL: the embedded server shipped in `pgserver`, or an existing one given by URL.

Either way every service gets a database of its own, named after it.
"""

import importlib.util
import uuid
import os
import pwd
import stat
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from devstack.errors import StackError
from devstack.ports import HOST
from devstack.processes import ManagedProcess

# PostgreSQL refuses to run as root; when we are root it runs as this system user.
SYSTEM_USER = "pgserver"


def postgres_bin() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise StackError("The embedded PostgreSQL needs the `pgserver` package; run `make install` first.")
    return Path(spec.origin).parent / "pginstall" / "bin"


def redact(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', HOST)}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def check_reachable(url: str, hint: str) -> None:
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StackError(f"Cannot reach PostgreSQL at {redact(url)} ({reason}); {hint}") from None


def ensure_databases(admin_url: str, names: Iterable[str]) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        present = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
        for name in names:
            if name not in present:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_url(admin_url: str, name: str) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) of database `name` on the server of `admin_url`."""
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    info["dbname"] = name
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql+psycopg://{user}{password}@{info.get('host', HOST)}:{info.get('port', 5432)}/{name}"


class EmbeddedPostgres:
    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir = state_dir
        self.port = port
        self.data = state_dir / "data"
        self.process: ManagedProcess | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/postgres"

    def preflight(self) -> None:
        postgres_bin()

    def start(self) -> ManagedProcess:
        binaries = postgres_bin()
        user = _system_user()
        self.data.mkdir(parents=True, exist_ok=True)
        if user:
            _let_user_in(self.data, user)
        if not (self.data / "PG_VERSION").exists():
            done = subprocess.run(
                [str(binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--no-instructions"],
                capture_output=True, text=True, user=user,
                group=user and pwd.getpwnam(user).pw_gid, extra_groups=[] if user else None,
            )
            if done.returncode != 0:
                raise StackError(f"initdb failed in {self.data}: {done.stderr.strip()[-300:]}")
        self.process = ManagedProcess(
            "PostgreSQL",
            # TCP on loopback only, no Unix socket (nothing to share with the system user).
            [str(binaries / "postgres"), "-D", str(self.data), "-p", str(self.port), "-h", HOST,
             "-c", "unix_socket_directories=", "-c", "max_connections=300"],
            self.state_dir / "postgres.log",
            user=user,
            # SIGINT is PostgreSQL's "fast shutdown": roll back open work, stop at once, cleanly.
            stop_signal=2,
        ).start()
        return self.process

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.admin_url, connect_timeout=1):
                return True
        except psycopg.Error:
            return False


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
    return SYSTEM_USER


def _let_user_in(data: Path, user: str) -> None:
    """Give the data folder to the system user and let it traverse (not read) the folders above."""
    entry = pwd.getpwnam(user)
    os.chown(data, entry.pw_uid, entry.pw_gid)
    data.chmod(0o700)
    for folder in data.resolve().parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the server of `admin_url` (its SQLAlchemy URL), dropped on exit.

    For tests that must see only their own rows (a worker that takes every due row, say).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
