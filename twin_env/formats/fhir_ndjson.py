"""FHIR Bulk Data style NDJSON: one file per resource type, one resource per line.

What a server's ``$export`` writes (FHIR Bulk Data Access IG): ``<Type>.ndjson`` per resource type,
each line one resource as compact JSON, references relative (``Patient/<id>``, not the
``urn:uuid:<id>`` a Bundle uses), plus ``manifest.json`` listing the files with their types and
counts, as the export's completion manifest does (``transactionTime`` is the record's as-of date at
midnight UTC, so the output stays deterministic). A resource shared by every patient's bundle (the practice,
the trust, the GP) is written once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from twin_env.formats.fhir_resources import dumps

__all__ = ["NdjsonWriter"]

_URN_REFERENCE = re.compile(r'"reference":"urn:uuid:([0-9a-f-]{36})"')


class NdjsonWriter:
    """Appends the resources of Bundles to ``<out_dir>/<Type>.ndjson``; use as a context manager.

    Files are opened on the first resource of their type and written in the order the bundles and
    their entries come, so the same bundles give byte-identical files.
    """

    def __init__(self, out_dir: str | Path, transaction_time: str) -> None:
        self.out_dir = Path(out_dir)
        self.transaction_time = transaction_time
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.counts: dict[str, int] = {}
        self.bytes = 0
        self._files: dict[str, IO[bytes]] = {}
        self._written: set[str] = set()

    def __enter__(self) -> NdjsonWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_bundle(self, bundle: Mapping[str, Any]) -> int:
        """Write every resource of ``bundle`` not written before; return how many were written."""
        types = {e["resource"]["id"]: e["resource"]["resourceType"] for e in bundle["entry"]}

        def relative(match: re.Match[str]) -> str:
            target = match.group(1)
            if target not in types:
                raise ValueError(f"reference urn:uuid:{target} does not resolve to a resource of the bundle")
            return f'"reference":"{types[target]}/{target}"'

        written = 0
        for entry in bundle["entry"]:
            res = entry["resource"]
            key = f"{res['resourceType']}/{res['id']}"
            if key in self._written:
                continue
            self._written.add(key)
            line = (_URN_REFERENCE.sub(relative, dumps(res)) + "\n").encode("utf-8")
            self._file(res["resourceType"]).write(line)
            self.counts[res["resourceType"]] = self.counts.get(res["resourceType"], 0) + 1
            self.bytes += len(line)
            written += 1
        return written

    def _file(self, resource_type: str) -> IO[bytes]:
        handle = self._files.get(resource_type)
        if handle is None:
            handle = self._files[resource_type] = (self.out_dir / f"{resource_type}.ndjson").open("wb")
        return handle

    def close(self) -> None:
        """Close the files and write ``manifest.json`` (files sorted by type)."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        manifest = {
            "transactionTime": self.transaction_time,
            "requiresAccessToken": False,
            "output": [{"type": kind, "url": f"{kind}.ndjson", "count": n} for kind, n in sorted(self.counts.items())],
            "error": [],
        }
        (self.out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
