"""The committed schema history: an append-only JSON Schema registry kept in git.

Layout: `<schemas dir>/<event type>/v<N>/<revision>.json`, for example
`schemas/usage.recorded/v1/0001.json`. Each file is the JSON Schema of a whole message
value (the envelope with that event as `data`, `type` and `schemaversion` pinned as
constants), so a consumer in any language validates a message against one file.

Schemas are generated in pydantic's serialization mode: they describe the bytes producers
write (a quantity is a decimal string), not everything pydantic would also accept when
validating (a quantity as a JSON number), which is leniency, not contract.

A revision is never edited: a compatible change to a version appends the next revision, an
incompatible one needs a new schema version (a new event class).
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing_contracts.envelope import Envelope
from billing_contracts.events import EVENTS, Event, EventRegistry
from billing_contracts.registry.compatibility import JsonSchema, compatibility_problems

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas"
"""`contracts/schemas` in a source checkout (the package is installed editable)."""

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
VERSION_DIR = re.compile(r"^v([1-9]\d*)$")
REVISION_FILE = re.compile(r"^(\d{4})\.json$")


@dataclass(frozen=True)
class Finding:
    """Something wrong with the history, and where."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass(frozen=True)
class Generated:
    written: tuple[Path, ...]
    refused: tuple[Finding, ...]


def event_schema(event: type[Event]) -> JsonSchema:
    """The JSON Schema of a message carrying `event`, as committed in the history."""
    schema: dict[str, Any] = Envelope[event].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    properties = schema["properties"]
    properties["type"] = {**properties["type"], "const": event.event_type}
    properties["schemaversion"] = {**properties["schemaversion"], "const": event.schema_version}
    schema["title"] = f"{event.event_type} v{event.schema_version}"
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


def version_dir(schemas_dir: Path, event_type: str, schema_version: int) -> Path:
    return schemas_dir / event_type / f"v{schema_version}"


def revisions(directory: Path) -> list[Path]:
    """The revision files of one version, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if REVISION_FILE.match(path.name))


def read_schema(path: Path) -> JsonSchema:
    schema = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(schema, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return schema


def write_schema(path: Path, schema: JsonSchema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def display(path: Path, schemas_dir: Path) -> str:
    """`schemas/usage.recorded/v1/0001.json`: short, and the same on every machine."""
    return str(Path(schemas_dir.name) / path.relative_to(schemas_dir))


def generate(schemas_dir: Path = SCHEMAS_DIR, events: EventRegistry = EVENTS) -> Generated:
    """Append a revision for every event version whose schema changed compatibly.

    All or nothing: if any change is incompatible, nothing is written and `refused` says why.
    """
    pending: list[tuple[Path, JsonSchema]] = []
    refused: list[Finding] = []
    for (event_type, schema_version), event in events.items():
        directory = version_dir(schemas_dir, event_type, schema_version)
        schema = event_schema(event)
        history = revisions(directory)
        if not history:
            pending.append((directory / "0001.json", schema))
            continue
        try:
            latest = read_schema(history[-1])
        except ValueError as error:
            refused.append(Finding(display(history[-1], schemas_dir), f"not a JSON Schema: {error}"))
            continue
        if latest == schema:
            continue
        problems = compatibility_problems(latest, schema)
        if problems:
            refused.append(
                Finding(
                    f"{event.__name__} ({event_type} v{schema_version})",
                    f"incompatible with {display(history[-1], schemas_dir)}: {'; '.join(problems)}. "
                    f"Keep this version as it is and add the change as schema version {schema_version + 1}.",
                )
            )
            continue
        pending.append((directory / f"{_revision_number(history[-1]) + 1:04d}.json", schema))
    if refused:
        return Generated((), tuple(refused))
    for path, schema in pending:
        write_schema(path, schema)
    return Generated(tuple(path for path, _ in pending), ())


def check(schemas_dir: Path = SCHEMAS_DIR, events: EventRegistry = EVENTS) -> list[Finding]:
    """Everything that keeps the committed history from matching the code; [] when it does."""
    if not schemas_dir.is_dir():
        return [Finding(str(schemas_dir), "no schemas directory; run generate")]
    findings: list[Finding] = []
    for (event_type, schema_version), event in events.items():
        directory = version_dir(schemas_dir, event_type, schema_version)
        history = revisions(directory)
        where = f"{event.__name__} ({event_type} v{schema_version})"
        if not history:
            findings.append(Finding(where, f"no committed schema in {display(directory, schemas_dir)}; run generate"))
            continue
        try:
            latest = read_schema(history[-1])
        except ValueError:
            continue  # reported with the chain below
        schema = event_schema(event)
        if latest != schema:
            problems = compatibility_problems(latest, schema)
            change = f"an incompatible change ({'; '.join(problems)})" if problems else "a compatible change; run generate"
            findings.append(Finding(where, f"the code differs from {display(history[-1], schemas_dir)}: {change}"))
    for directory in _committed_versions(schemas_dir, findings):
        if (directory.parent.name, _version_number(directory)) not in events:
            findings.append(Finding(display(directory, schemas_dir), "committed schema version without an event class"))
        findings.extend(_check_chain(directory, schemas_dir))
    return findings


def _committed_versions(schemas_dir: Path, findings: list[Finding]) -> list[Path]:
    versions: list[Path] = []
    for type_dir in sorted(path for path in schemas_dir.iterdir() if path.is_dir()):
        for directory in sorted(type_dir.iterdir()):
            if directory.is_dir() and VERSION_DIR.match(directory.name):
                versions.append(directory)
            else:
                findings.append(Finding(display(directory, schemas_dir), "not a schema version directory (v<N>)"))
    return versions


def _revision_number(path: Path) -> int:
    match = REVISION_FILE.match(path.name)
    assert match is not None, path
    return int(match.group(1))


def _version_number(directory: Path) -> int:
    match = VERSION_DIR.match(directory.name)
    assert match is not None, directory
    return int(match.group(1))


def _check_chain(directory: Path, schemas_dir: Path) -> list[Finding]:
    """Revisions numbered 0001, 0002, ... with no gap, each compatible with the one before."""
    findings = [
        Finding(display(path, schemas_dir), "not a revision file (<4 digits>.json)")
        for path in sorted(directory.iterdir())
        if not REVISION_FILE.match(path.name)
    ]
    history = revisions(directory)
    for expected, path in enumerate(history, start=1):
        if path.name != f"{expected:04d}.json":
            findings.append(Finding(display(path, schemas_dir), f"expected revision {expected:04d}: revisions have a gap"))
            break
    previous: tuple[Path, JsonSchema] | None = None
    for path in history:
        try:
            schema = read_schema(path)
        except ValueError as error:
            findings.append(Finding(display(path, schemas_dir), f"not a JSON Schema: {error}"))
            return findings
        if previous is not None:
            for problem in compatibility_problems(previous[1], schema):
                findings.append(
                    Finding(display(path, schemas_dir), f"incompatible with {previous[0].name}: {problem}")
                )
        previous = (path, schema)
    return findings
