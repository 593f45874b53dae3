"""Rebuild ``api_v2010_subset.json`` from a checkout of twilio/twilio-oai.

    python tests/data/twilio_oai/extract.py path/to/twilio_api_v2010.json COMMIT DATE

Keeps only the operations the kit's ``FakeTwilioApi`` answers, their parameters, request and
response schemas (no examples, no descriptions) and the component schemas they reference.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

#: path -> the methods of it the fake implements.
OPERATIONS = {
    "/2010-04-01/Accounts/{AccountSid}/Messages.json": ("get", "post"),
    "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json": ("get",),
    "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json": ("get",),
    "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json": ("get", "delete"),
}


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _strip(value)
            for key, value in node.items()
            if key not in ("description", "examples", "example", "x-twilio", "summary", "headers")
        }
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def main(source: str, commit: str, date: str) -> None:
    spec = json.loads(Path(source).read_text())
    paths = {
        path: {method: _strip(spec["paths"][path][method]) for method in methods}
        for path, methods in OPERATIONS.items()
    }
    wanted: set[str] = set()
    pending = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(paths)))
    while pending:
        name = pending.pop()
        wanted.add(name)
        found = re.findall(
            r'"#/components/schemas/([^"]+)"', json.dumps(spec["components"]["schemas"][name])
        )
        pending |= set(found) - wanted
    subset = {
        "x-aivs-source": {
            "repository": "https://github.com/twilio/twilio-oai",
            "file": "spec/json/twilio_api_v2010.json",
            "commit": commit,
            "commit_date": date,
            "vendored": "2026-12-04",
            "kept": "the operations FakeTwilioApi answers; descriptions and examples dropped",
        },
        "openapi": spec["openapi"],
        "info": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
        "paths": paths,
        "components": {
            "securitySchemes": spec["components"]["securitySchemes"],
            "schemas": {
                name: _strip(spec["components"]["schemas"][name]) for name in sorted(wanted)
            },
        },
    }
    out = Path(__file__).with_name("api_v2010_subset.json")
    out.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
