"""The schema registry: committed JSON Schemas of every event version, and their compatibility.

`python -m billing_contracts.registry generate` appends revisions after a compatible change;
`python -m billing_contracts.registry check` fails when code and history disagree.
"""

from billing_contracts.registry.compatibility import JsonSchema, compatibility_problems
from billing_contracts.registry.history import (
    SCHEMAS_DIR,
    Finding,
    Generated,
    check,
    event_schema,
    generate,
    revisions,
    version_dir,
)

__all__ = [
    "SCHEMAS_DIR",
    "Finding",
    "Generated",
    "JsonSchema",
    "check",
    "compatibility_problems",
    "event_schema",
    "generate",
    "revisions",
    "version_dir",
]
