"""``twin-env whatif``: the files and keys it writes, determinism, and one-line errors with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.patient_twin.bundles import bundle, observation
from twin_env.cli import main

RECORD = Path(__file__).parents[1] / "patient_twin" / "fixtures" / "synthea_style_bundle.json"
STATIN = '{"name": "statin", "strategy": {"kind": "drugs", "start": [{"drug": "atorvastatin", "dose": 20}]}}'


def _run(out: Path, *extra: str) -> int:
    return main(["whatif", str(RECORD), "--out", str(out), "--samples", "12", "--years", "2", *extra])


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("twin-env whatif: error: ") and err.count("\n") == 1, err
    return err


def test_writes_exactly_reading_posterior_strategies_and_a_fan_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path / "a", "--strategy", '{"kind": "none"}', "--strategy", STATIN) == 0
    table = capsys.readouterr().out
    assert "statin" in table and "QALYs" in table
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == [".twin-env-output", "fan_chart.png", "whatif.json"]
    data = json.loads((tmp_path / "a" / "whatif.json").read_text())
    assert list(data) == ["reading", "posterior", "strategies"]
    assert list(data["reading"]) == ["used", "ignored"] and data["reading"]["used"]
    assert set(data["posterior"]["sbp_mmhg"]) == {"mean", "p05", "p95"}
    assert list(data["strategies"]) == ["none", "statin"]
    for s in data["strategies"].values():
        assert list(s) == ["risk_by_year", "qalys", "cost_gbp"]
        assert [r["year"] for r in s["risk_by_year"]["mi"]] == [1, 2]
    assert _run(tmp_path / "b", "--strategy", '{"kind": "none"}', "--strategy", STATIN) == 0
    assert (tmp_path / "b" / "whatif.json").read_bytes() == (tmp_path / "a" / "whatif.json").read_bytes()


def test_default_strategy_is_none(tmp_path: Path) -> None:
    assert main(["whatif", str(RECORD), "--out", str(tmp_path / "o"), "--samples", "5", "--years", "1"]) == 0
    assert list(json.loads((tmp_path / "o" / "whatif.json").read_text())["strategies"]) == ["none"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "{kind: none}"], "--strategy[0]: not valid JSON"),
        (["--strategy", '{"kind": "surgery"}'], "--strategy[0].kind: must be one of"),
        (["--strategy", '{"kind": "drugs", "start": [{"drug": "aspirin", "dose": 1}]}'], "start[0].drug: must be"),
        (["--strategy", '{"kind": "none"}', "--strategy", '{"kind": "none"}'], "--strategy[1]: duplicate name"),
        (["--strategy", '{"kind": "policy", "policy": "oracle"}'], "--strategy[0].policy: must be one of"),
        (["--years", "0"], "--years must be a whole number from 1 to 30"),
        (["--samples", "0"], "--samples must be from 1 to"),
        (["--seed", "-1"], "--seed must be a non-negative integer"),
    ],
)
def test_bad_options_are_one_line_and_nothing_is_written(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["whatif", str(RECORD), "--out", str(tmp_path / "out"), *args]) == 2
    assert message in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ('{"resourceType": "Patient"}', "Bundle"), ("not json", "JSON")],
)
def test_bad_records_are_one_line_and_nothing_is_written(
    content: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "record.json"
    if content is not None:
        record.write_text(content)
    assert main(["whatif", str(record), "--out", str(tmp_path / "out")]) == 2
    assert message in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def _sbp_900_record(tmp_path: Path) -> Path:
    record = tmp_path / "sbp_900.json"
    sbp = [observation("8480-6", 900, "mm[Hg]"), observation("8480-6", 131, "mm[Hg]", id="o2")]
    record.write_text(json.dumps(bundle(*sbp)), encoding="utf-8")
    return record


def test_an_impossible_value_refuses_the_record_by_default_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _sbp_900_record(tmp_path)
    for explicit in ([], ["--impossible-values", "error"]):
        assert main(["whatif", str(record), "--out", str(tmp_path / "out"), "--samples", "5", *explicit]) == 2
        message = "Observation/o1: valueQuantity.value: 900 mm[Hg] is not a possible sbp_mmhg (allowed 50-300 mmHg)"
        assert message in _one_line_error(capsys)
        assert not (tmp_path / "out").exists()


def test_ignore_lists_the_impossible_value_in_the_reading(tmp_path: Path) -> None:
    record, out = _sbp_900_record(tmp_path), tmp_path / "out"
    args = ["whatif", str(record), "--out", str(out), "--samples", "5", "--years", "1"]
    assert main([*args, "--impossible-values", "ignore"]) == 0
    reading = json.loads((out / "whatif.json").read_text())["reading"]
    why = {i["resource"]: i["why"] for i in reading["ignored"] if i["resource"].startswith("Observation")}
    assert list(why) == ["Observation/o1"]
    assert "valueQuantity.value: 900 mm[Hg] is not a possible sbp_mmhg" in why["Observation/o1"]
    assert "Observation/o2" in reading["used"]


def test_a_bad_impossible_values_option_is_refused_in_one_line_while_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["whatif", str(RECORD), "--out", str(tmp_path / "out"), "--impossible-values", "warn"])
    assert exited.value.code == 2
    assert "--impossible-values: invalid choice: 'warn' (choose from 'error', 'ignore')" in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []
