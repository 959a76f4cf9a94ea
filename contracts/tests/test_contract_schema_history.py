"""The committed schema history: check and generate, on the real tree and on copies of it."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from billing_contracts import EVENTS, UsageRecordedV1
from billing_contracts.registry import SCHEMAS_DIR, check, event_schema, generate, revisions, version_dir
from billing_contracts.registry.__main__ import main
from pydantic import Field


class UsageWithRegion(UsageRecordedV1):
    """UsageRecordedV1 with a compatible change: a new optional field."""

    region: str | None = Field(default=None, description="Where it ran.", examples=["eu-west-1"])


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    """A copy of the committed schemas that a test may change."""
    return Path(shutil.copytree(SCHEMAS_DIR, tmp_path / "schemas"))


def usage_v1(schemas: Path) -> Path:
    return version_dir(schemas, "usage.recorded", 1)


def test_the_committed_schemas_match_the_code() -> None:
    assert [str(finding) for finding in check()] == []


def test_the_check_command_passes_on_the_committed_tree() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "billing_contracts.registry", "check"], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert "match the code" in done.stdout


def test_every_event_version_has_a_first_revision() -> None:
    for event_type, version in EVENTS:
        first = version_dir(SCHEMAS_DIR, event_type, version) / "0001.json"
        assert first.is_file(), first
        assert json.loads(first.read_text())["title"] == f"{event_type} v{version}"


def test_generate_appends_a_revision_for_a_compatible_change(schemas: Path) -> None:
    registry = EVENTS.with_events(UsageWithRegion)

    generated = generate(schemas, registry)

    assert generated.refused == ()
    assert generated.written == (usage_v1(schemas) / "0002.json",)
    assert json.loads((usage_v1(schemas) / "0002.json").read_text()) == event_schema(UsageWithRegion)
    assert (usage_v1(schemas) / "0001.json").read_bytes() == (usage_v1(SCHEMAS_DIR) / "0001.json").read_bytes()
    assert check(schemas, registry) == []
    assert generate(schemas, registry).written == ()


def test_generate_refuses_an_incompatible_change_and_writes_nothing(schemas: Path, contract_copy) -> None:
    registry = EVENTS.with_events(contract_copy(UsageRecordedV1, without=("quantity",)))

    generated = generate(schemas, registry)

    assert generated.written == ()
    [refusal] = generated.refused
    assert "usage.recorded v1" in refusal.where
    assert "field 'data.quantity' removed" in refusal.problem
    assert "schemas/usage.recorded/v1/0001.json" in refusal.problem
    assert revisions(usage_v1(schemas)) == [usage_v1(schemas) / "0001.json"]


def test_generate_writes_nothing_at_all_when_one_change_is_refused(schemas: Path, contract_copy) -> None:
    shutil.rmtree(version_dir(schemas, "invoice.paid", 1))
    registry = EVENTS.with_events(contract_copy(UsageRecordedV1, without=("quantity",)))

    assert generate(schemas, registry).refused
    assert not version_dir(schemas, "invoice.paid", 1).exists()


def test_generate_writes_the_first_revision_of_a_new_version(schemas: Path) -> None:
    shutil.rmtree(version_dir(schemas, "invoice.paid", 1))

    assert generate(schemas).written == (version_dir(schemas, "invoice.paid", 1) / "0001.json",)
    assert check(schemas) == []


def test_the_generate_command_exits_1_naming_the_field(schemas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The committed schema has a required field the code no longer has: the code removed it."""
    first = usage_v1(schemas) / "0001.json"
    committed = json.loads(first.read_text())
    usage = committed["$defs"]["UsageRecordedV1"]
    usage["properties"]["legacy_meter"] = {"type": "string"}
    usage["required"].append("legacy_meter")
    first.write_text(json.dumps(committed))

    assert main(["generate", "--schemas-dir", str(schemas)]) == 1
    assert "field 'data.legacy_meter' removed" in capsys.readouterr().err
    assert revisions(usage_v1(schemas)) == [first]


def test_the_generate_command_reports_what_it_wrote(schemas: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(version_dir(schemas, "charge.failed", 1))

    assert main(["generate", "--schemas-dir", str(schemas)]) == 0
    assert capsys.readouterr().out == "wrote schemas/charge.failed/v1/0001.json\n"
    assert main(["check", "--schemas-dir", str(schemas)]) == 0


def test_check_finds_code_that_drifted_from_the_history(schemas: Path) -> None:
    [finding] = check(schemas, EVENTS.with_events(UsageWithRegion))

    assert "usage.recorded v1" in finding.where
    assert "differs from schemas/usage.recorded/v1/0001.json: a compatible change; run generate" in finding.problem


def test_check_finds_an_incompatible_change_in_the_code(schemas: Path, contract_copy) -> None:
    [finding] = check(schemas, EVENTS.with_events(contract_copy(UsageRecordedV1, without=("meter",))))

    assert "an incompatible change (field 'data.meter' removed)" in finding.problem


def test_check_finds_an_incompatible_committed_revision(schemas: Path) -> None:
    """Someone edited the history by hand: revision 0002 drops a field 0001 has."""
    second = json.loads((usage_v1(schemas) / "0001.json").read_text())
    usage = second["$defs"]["UsageRecordedV1"]
    del usage["properties"]["project_id"]
    usage["required"].remove("project_id")
    (usage_v1(schemas) / "0002.json").write_text(json.dumps(second))

    findings = [str(finding) for finding in check(schemas)]

    assert "schemas/usage.recorded/v1/0002.json: incompatible with 0001.json: field 'data.project_id' removed" in findings


def test_check_finds_a_committed_version_without_code(schemas: Path) -> None:
    orphan = version_dir(schemas, "usage.recorded", 7)
    orphan.mkdir()
    shutil.copy(usage_v1(schemas) / "0001.json", orphan / "0001.json")

    assert [str(finding) for finding in check(schemas)] == [
        "schemas/usage.recorded/v7: committed schema version without an event class"
    ]


def test_check_finds_an_event_version_without_a_schema(schemas: Path) -> None:
    shutil.rmtree(version_dir(schemas, "invoice.voided", 1))

    [finding] = check(schemas)

    assert "InvoiceVoidedV1" in finding.where
    assert "no committed schema in schemas/invoice.voided/v1; run generate" in finding.problem


def test_check_finds_gaps_and_stray_files(schemas: Path) -> None:
    shutil.copy(usage_v1(schemas) / "0001.json", usage_v1(schemas) / "0003.json")
    (usage_v1(schemas) / "latest.json").write_text("{}")

    assert [str(finding) for finding in check(schemas)] == [
        "schemas/usage.recorded/v1/latest.json: not a revision file (<4 digits>.json)",
        "schemas/usage.recorded/v1/0003.json: expected revision 0002: revisions have a gap",
    ]


def test_check_and_generate_report_an_unreadable_revision(schemas: Path) -> None:
    (usage_v1(schemas) / "0001.json").write_text("{not json")

    assert [str(f) for f in check(schemas)][0].startswith("schemas/usage.recorded/v1/0001.json: not a JSON Schema")
    assert generate(schemas).refused
