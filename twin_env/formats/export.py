"""Render a record in every format and write them to a directory.

Layout written by :func:`write_outputs` (every file deterministic for a given record)::

    DIR/fhir/<patient>.json        GP record as a UK Core FHIR R4 Bundle (one per patient;
                                   collection or transaction: ``fhir_bundle_type``)
    DIR/fhir_ndjson/<Type>.ndjson  the same resources, Bulk Data style (``fhir_ndjson=True``), and
    DIR/fhir_ndjson/manifest.json  its file list (:mod:`twin_env.formats.fhir_ndjson`)
    DIR/hl7/<patient>.hl7          PAS ADT and pathology ORU^R01 messages (patients with any)
    DIR/letters/<file>.txt         discharge summaries, clinic letters, imaging reports
    DIR/opensafely/<table>.csv     ehrQL tables for --dummy-tables

Renderers only read the record (:class:`~twin_env.formats.source.RecordSource`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from twin_env.formats.fhir_bundle import fhir_bundle
from twin_env.formats.fhir_ndjson import NdjsonWriter
from twin_env.formats.fhir_resources import BUNDLE_TYPES, dumps, validate_bundle
from twin_env.formats.hl7_feed import hl7_messages
from twin_env.formats.hl7v2 import hl7_file
from twin_env.formats.letters_export import letters_text
from twin_env.formats.opensafely import write_table
from twin_env.formats.opensafely_tables import opensafely_tables
from twin_env.formats.source import RecordSource

__all__ = [
    "BUNDLE_TYPES",
    "FORMATS",
    "RecordSource",
    "check_formats",
    "fhir_bundle",
    "hl7_messages",
    "letters_text",
    "opensafely_tables",
    "write_outputs",
]

#: Output formats, in the order they are written.
FORMATS: tuple[str, ...] = ("fhir", "hl7", "letters", "opensafely")

Progress = Callable[[int], None]


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The formats in canonical order; ``ValueError`` listing the allowed ones for an unknown name."""
    wanted = tuple(formats)
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(FORMATS)}")
    if not wanted:
        raise ValueError(f"no formats given; allowed: {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in wanted)


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def write_outputs(
    source: RecordSource,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = FORMATS,
    progress: Progress | None = None,
    fhir_bundle_type: str = "collection",
    fhir_ndjson: bool = False,
    validate: bool = False,
) -> dict[str, dict[str, int]]:
    """Write ``formats`` for every patient of ``source`` under ``out_dir``; return counts per format.

    ``fhir_bundle_type`` is ``collection`` or ``transaction``; ``fhir_ndjson`` also writes the FHIR
    resources as Bulk Data NDJSON; ``validate`` parses every bundle with the FHIR R4 models
    (:func:`~twin_env.formats.fhir_resources.validate_bundle`) and raises ``ValueError`` naming the
    patient and the problem. ``progress``, if given, is called with the number of patients done.
    """
    chosen = check_formats(formats)
    if fhir_bundle_type not in BUNDLE_TYPES:
        raise ValueError(f"fhir_bundle_type must be one of {', '.join(BUNDLE_TYPES)}, got {fhir_bundle_type!r}")
    if (fhir_ndjson or validate) and "fhir" not in chosen:
        raise ValueError("fhir_ndjson and validate need the fhir format; add fhir to the formats")
    out = Path(out_dir)
    for name in chosen:
        (out / name).mkdir(parents=True, exist_ok=True)
    counts = {name: {"files": 0, "bytes": 0} for name in chosen}
    if "fhir" in counts:
        counts["fhir"]["resources"] = 0
        if validate:
            counts["fhir"]["validated_resources"] = 0
    if "hl7" in counts:
        counts["hl7"]["messages"] = 0
    ndjson = NdjsonWriter(out / "fhir_ndjson", source.end.isoformat() + "T00:00:00+00:00") if fhir_ndjson else None
    try:
        _write_patients(source, out, counts, fhir_bundle_type, ndjson, validate, progress)
    finally:
        if ndjson is not None:
            ndjson.close()
    if ndjson is not None:  # the type files and manifest.json
        total = sum(ndjson.counts.values())
        counts["fhir_ndjson"] = {"files": len(ndjson.counts) + 1, "bytes": ndjson.bytes, "resources": total}
    if "opensafely" in counts:
        for table, frame in opensafely_tables(source).items():
            path = write_table(out / "opensafely", table, frame)
            counts["opensafely"][f"{table}_rows"] = len(frame)
            counts["opensafely"]["bytes"] += path.stat().st_size
            counts["opensafely"]["files"] += 1
    return counts


def _write_patients(
    source: RecordSource,
    out: Path,
    counts: dict[str, dict[str, int]],
    fhir_bundle_type: str,
    ndjson: NdjsonWriter | None,
    validate: bool,
    progress: Progress | None,
) -> None:
    """Render and write every patient's FHIR bundle, HL7 messages and letters (``counts`` updated)."""
    for done, patient in enumerate(source.patients, start=1):
        if "fhir" in counts:
            bundle = fhir_bundle(source, patient, bundle_type=fhir_bundle_type)
            if validate:
                try:
                    validate_bundle(bundle)
                except ValueError as exc:
                    raise ValueError(f"patient {patient}: FHIR bundle fails validation: {exc}") from None
                counts["fhir"]["validated_resources"] += len(bundle["entry"])
            counts["fhir"]["resources"] += len(bundle["entry"])
            counts["fhir"]["bytes"] += _write(out / "fhir" / f"{patient}.json", dumps(bundle) + "\n")
            counts["fhir"]["files"] += 1
            if ndjson is not None:
                ndjson.add_bundle(bundle)
        if "hl7" in counts:
            messages = hl7_messages(source, patient)
            if messages:
                counts["hl7"]["messages"] += len(messages)
                counts["hl7"]["bytes"] += _write(out / "hl7" / f"{patient}.hl7", hl7_file(messages))
                counts["hl7"]["files"] += 1
        if "letters" in counts:
            for file_name, text in letters_text(source, patient).items():
                counts["letters"]["bytes"] += _write(out / "letters" / file_name, text)
                counts["letters"]["files"] += 1
        if progress is not None:
            progress(done)
