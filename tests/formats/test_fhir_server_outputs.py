"""Server-ready FHIR: transaction bundles, Bulk Data NDJSON, and simulate --validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin_env.cli import main
from twin_env.formats.export import RecordSource, fhir_bundle, write_outputs
from twin_env.formats.fhir_resources import validate_bundle
from twin_env.simulation import simulate


@pytest.fixture(scope="module")
def source() -> RecordSource:
    return RecordSource.from_simulation(simulate(12, 4, 3.0, min_age_years=50, max_age_years=80))


@pytest.fixture(scope="module")
def out_dir(source: RecordSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("server")
    write_outputs(source, out, formats=["fhir"], fhir_bundle_type="transaction", fhir_ndjson=True, validate=True)
    return out


def test_transaction_entries_put_to_their_own_id(source: RecordSource) -> None:
    bundle = fhir_bundle(source, source.patients[0], bundle_type="transaction")
    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        res = entry["resource"]
        assert entry["request"] == {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        assert entry["fullUrl"] == f"urn:uuid:{res['id']}"
    validate_bundle(bundle)


def test_collection_stays_the_default_and_differs_only_in_type_and_request(source: RecordSource) -> None:
    collection = fhir_bundle(source, source.patients[0])
    transaction = fhir_bundle(source, source.patients[0], bundle_type="transaction")
    assert collection["type"] == "collection"
    assert all("request" not in e for e in collection["entry"])
    assert [e["resource"] for e in collection["entry"]] == [e["resource"] for e in transaction["entry"]]


def test_unknown_bundle_type_is_refused(source: RecordSource) -> None:
    with pytest.raises(ValueError, match="collection"):
        fhir_bundle(source, source.patients[0], bundle_type="batch")


def test_ndjson_has_one_file_per_type_one_resource_per_line(source: RecordSource, out_dir: Path) -> None:
    expected: dict[str, set[str]] = {}
    for patient in source.patients:
        for entry in fhir_bundle(source, patient)["entry"]:
            expected.setdefault(entry["resource"]["resourceType"], set()).add(entry["resource"]["id"])
    files = sorted(p.name for p in (out_dir / "fhir_ndjson").glob("*.ndjson"))
    assert files == sorted(f"{kind}.ndjson" for kind in expected)
    for kind, ids in expected.items():
        lines = (out_dir / "fhir_ndjson" / f"{kind}.ndjson").read_text(encoding="utf-8").splitlines()
        resources = [json.loads(line) for line in lines]
        assert {r["resourceType"] for r in resources} == {kind}
        assert len(resources) == len({r["id"] for r in resources})
        assert {r["id"] for r in resources} == ids  # shared resources (practice, trust, GP) once
    manifest = json.loads((out_dir / "fhir_ndjson" / "manifest.json").read_text(encoding="utf-8"))
    assert {o["type"]: o["count"] for o in manifest["output"]} == {k: len(v) for k, v in expected.items()}


def test_ndjson_references_are_relative_and_resolve(out_dir: Path) -> None:
    known: set[str] = set()
    text = ""
    for path in (out_dir / "fhir_ndjson").glob("*.ndjson"):
        for line in path.read_text(encoding="utf-8").splitlines():
            res = json.loads(line)
            known.add(f"{res['resourceType']}/{res['id']}")
        text += path.read_text(encoding="utf-8")
    assert "urn:uuid:" not in text
    references = [r.split('"')[0] for r in text.split('"reference":"')[1:]]
    assert references and set(references) <= known


def test_every_ndjson_line_parses_with_the_r4_models(out_dir: Path) -> None:
    from fhirclient.models.fhirelementfactory import FHIRElementFactory

    for path in (out_dir / "fhir_ndjson").glob("*.ndjson"):
        for line in path.read_text(encoding="utf-8").splitlines():
            res = json.loads(line)
            FHIRElementFactory.instantiate(res["resourceType"], res)  # strict: raises on any problem


def test_simulate_validate_and_server_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    args = ["simulate", "--patients", "3", "--years", "1", "--out", str(out), "--formats", "fhir",
            "--fhir-bundle-type", "transaction", "--fhir-ndjson", "--validate"]  # fmt: skip
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["fhir"]["validated_resources"] == manifest["outputs"]["fhir"]["resources"] > 0
    assert manifest["config"]["fhir_bundle_type"] == "transaction"
    assert json.loads((out / "fhir" / "0.json").read_text(encoding="utf-8"))["type"] == "transaction"
    assert (out / "fhir_ndjson" / "Patient.ndjson").read_text(encoding="utf-8").count("\n") == 3


@pytest.mark.parametrize("option", ["--fhir-ndjson", "--validate"])
def test_fhir_options_without_fhir_are_a_one_line_error(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--patients", "1", "--years", "1", "--out", str(tmp_path / "x"), "--formats", "hl7", option]
    assert main(args) != 0
    err = capsys.readouterr().err.strip()
    assert option in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_validate_refuses_an_invalid_bundle_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from twin_env.commands import CommandError
    from twin_env.commands.simulate import SimulationConfig
    from twin_env.commands.simulate import simulate as simulate_command
    from twin_env.formats import export

    def broken(source: RecordSource, patient: int, **kwargs: str) -> dict[str, object]:
        bundle = fhir_bundle(source, patient, **kwargs)
        del bundle["entry"][0]["resource"]["gender"]
        bundle["entry"][0]["resource"]["birthDate"] = "1 April 1950"
        return bundle

    monkeypatch.setattr(export, "fhir_bundle", broken)
    out = tmp_path / "bad"
    with pytest.raises(CommandError, match="patient 0: FHIR bundle fails validation: .*birthDate"):
        simulate_command(SimulationConfig(patients=2, years=1, seed=0, formats=("fhir",)), out, validate=True)
    assert not out.exists()


def test_server_outputs_are_byte_identical_on_a_rerun(source: RecordSource, out_dir: Path, tmp_path: Path) -> None:
    write_outputs(source, tmp_path, formats=["fhir"], fhir_bundle_type="transaction", fhir_ndjson=True)
    for path in sorted(out_dir.rglob("*.*")):
        assert (tmp_path / path.relative_to(out_dir)).read_bytes() == path.read_bytes(), path.name
