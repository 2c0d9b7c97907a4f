"""Generate the worked example in ``docs/record_systems.md``: ``python -m twin_env.analysis.record_example``.

Simulates a small cohort with artefacts on and prints, for the first patient with a hospital
admission, the ledger and what the GP system shows at the end; the docs block between the
``<!-- example:start -->`` and ``<!-- example:end -->`` markers is replaced with it.
"""

from __future__ import annotations

import pathlib
import sys

from twin_env.record.ledger import LedgerKind

START, END = "<!-- example:start -->", "<!-- example:end -->"


def example_markdown(n: int = 400, years: float = 3.0, seed: int = 11) -> str:
    """The example block (markdown) for a seeded run of ``n`` patients over ``years``."""
    from twin_env.simulation import simulate

    sim = simulate(n, seed, years, min_age_years=55, max_age_years=85)
    led = sim.ledger.columns
    patient = int(led["patient"][led["kind"] == LedgerKind.DISCHARGE][0])
    ledger = sim.ledger.to_frame(sim.ledger.rows_of(patient))
    shown = ledger[~ledger["kind"].isin(["PRESCRIPTION"])][
        ["event_id", "date", "kind", "concept", "value", "unit", "link"]
    ]
    gp = sim.record.gp_view(patient, sim.date)
    lines = [
        f"Seed {seed}, {n} patients aged 55-85, {years:g} years from 2020-04-01, artefacts on. "
        f"Patient {patient}: {len(ledger)} ledger events ({int((ledger['kind'] == 'PRESCRIPTION').sum())} repeat "
        "prescriptions not shown).",
        "",
        "Ledger (truth):",
        "",
        "```",
        shown.to_string(index=False, float_format=lambda v: f"{v:g}"),
        "```",
        "",
        f"GP record as of {gp.as_of} (problems, observations, documents):",
        "",
        "```",
    ]
    for item in gp.problems + gp.observations + gp.documents:
        code = f"{item.code.system}:{item.code.code}" if item.code else "-"
        value = "" if item.value is None else f" {item.value:g} {item.unit}"
        lines.append(
            f"{item.date} (shown {item.available}) {item.item.name:<11} {item.concept.name:<22} {code}{value}"
            f"  <- ledger {item.event_id}  flags={int(item.flags)}"  # int: an IntFlag prints differently on 3.10
        )
    lines += ["```", ""]
    letters = [i for i in gp.documents]
    if letters:
        letter = sim.record.letter(letters[0].event_id)
        lines += ["First letter's content (`Record.letter`):", "", "```", repr(letter), "```"]
    return "\n".join(lines)


def rewrite(path: pathlib.Path) -> None:
    """Replace the example block in ``path``."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{example_markdown()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    rewrite(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs/record_systems.md"))
