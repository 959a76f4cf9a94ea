"""Write every service's OpenAPI and AsyncAPI documents to docs/api (`make docs`)."""

import importlib
import json
import sys
from pathlib import Path

from billing_runtime.health import asyncapi_document

from devstack.endpoints import SERVICES


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        http = importlib.import_module(f"{service}.entrypoints.http")
        app = http.create_app()  # builds only: nothing connects until the lifespan runs
        (out / f"{service}.openapi.json").write_text(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n")
        (out / f"{service}.asyncapi.json").write_text(json.dumps(asyncapi_document(app.state.runtime), indent=2, sort_keys=True) + "\n")
        print(f"wrote {out}/{service}.openapi.json and {service}.asyncapi.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/api")))
