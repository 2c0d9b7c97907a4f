"""Model cards of the packaged deployments, as data, rendered to markdown with the contract table.

``CARDS`` holds each card's text fields; :func:`render_card` adds the inputs table generated from
the deployment contract (so the card cannot drift from what is deployed) and the disclaimer.
"""

from __future__ import annotations

from twin_env.models.deployment import get_model

CARDS: dict[str, dict[str, str]] = {
    "qrisk3": {
        "intended_use": "Estimate a person's 10-year risk of cardiovascular disease (CHD, ischaemic stroke, TIA) "
        "in primary care, to inform the offer of a statin (NICE NG238: atorvastatin 20 mg at >= 10%).",
        "population": "Ages 25-84 without recorded CVD, not type 1 diabetes, eGFR not below 60 (NICE NG238). "
        "Derived on QResearch (English general practices).",
        "reference": "Hippisley-Cox J, Coupland C, Brindle P. BMJ 2017;357:j2099.",
        "limitations": "The twin's GP record has no smoking status, BMI or several QRISK3 flags (migraine, SLE, "
        "family history, ...), so smoking and BMI are always imputed and those flags read as absent; type 1 "
        "diabetes has no code in the code table and cannot be excluded on the record; albuminuria and familial "
        "hypercholesterolaemia (NG238 exclusions) are not checked; Townsend is the mean of the patient's IMD "
        "quintile, not their postcode's score. Monitoring on the twin measures the cost of these gaps.",
    },
    "qdiabetes": {
        "intended_use": "Estimate a person's 10-year risk of type 2 diabetes (model A: no blood test), to "
        "identify people to offer the NHS Diabetes Prevention Programme or a blood test.",
        "population": "Ages 25-84 without recorded diabetes. Derived on QResearch.",
        "reference": "Hippisley-Cox J, Coupland C. BMJ 2017;359:j5019.",
        "limitations": "Model A only (models B and C need fasting glucose or HbA1c, rarely measured in people "
        "without diabetes in the twin). Smoking and BMI are always imputed (not recorded by the twin's GP "
        "system), which costs most of the discrimination; several flags read as absent; the code table has no "
        "SNOMED CT code for a QDiabetes score, so the written-back RiskAssessment carries the model id only.",
    },
}


def _window(days: int | None) -> str:
    return "any date" if days is None else f"{days} days"


def render_card(name: str) -> str:
    """The markdown model card of packaged model ``name`` ("qrisk3" or "qdiabetes")."""
    if name not in CARDS:
        raise ValueError(f"no model card for {name!r}; allowed: {sorted(CARDS)}")
    model, card = get_model(name), CARDS[name]
    c = model.contract
    code = (
        "none in the code table (model id only)"
        if c.output.code is None
        else f"SNOMED CT {c.output.code.code} ({c.output.code.term})"
    )
    lines = [
        f"### {c.title} (`{c.model_id}`)",
        "",
        f"- **Intended use:** {card['intended_use']}",
        f"- **Population:** {card['population']}",
        f"- **Reference:** {card['reference']}",
        f"- **Output:** {c.output.horizon_years:g}-year risk of {c.output.outcome}, percent; written back as a "
        f"RiskAssessment; code: {code}.",
        "",
        "| input | record source | concepts | window | if missing or stale |",
        "|---|---|---|---|---|",
    ]
    for item in c.items:
        concepts = ", ".join(x.name for x in item.concepts + item.medications) or (
            f"(code {item.code.code})" if item.code else ""
        )
        policy = (
            item.policy if item.substitute is None else f"impute {item.substitute.value:g} ({item.substitute.source})"
        )
        use = "" if item in c.inputs else " (eligibility only)"
        window = _window(item.window_days)
        lines.append(f"| `{item.name}`{use} | {item.source}: {item.description} | {concepts} | {window} | {policy} |")
    lines += [
        "",
        "Eligibility: "
        + "; ".join(f"{r.reason} -> refused" + (f" ({r.source})" if r.source else "") for r in c.eligibility)
        + ".",
        "",
        f"- **Limitations:** {card['limitations']}",
    ]
    if model.disclaimer:
        lines += ["", "> " + model.disclaimer.replace("\n", "\n> ")]
    return "\n".join(lines) + "\n"
