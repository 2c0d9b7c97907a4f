"""Audit log entries as FHIR R4 AuditEvent + Provenance resources (``formats.fhir_resources`` builders).

Ids are ``deterministic_uuid`` over the entry hash; entities and Provenance sources reference the
record items a rule read as ``deterministic_uuid("record-item", <ledger event id>)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twin_env.formats import fhir_resources as fr

SHIELD_DEVICE = fr.deterministic_uuid("device", "twin_env-safety-shield")


def entry_to_fhir(entry: dict[str, Any]) -> list[fr.Resource]:
    """One entry -> [AuditEvent, Provenance]; outcome 0 if executed as proposed, 4 if the shield intervened."""
    evidence = list(
        dict.fromkeys(e for v in entry["rules_fired"] for e in v["evidence"] if not e.startswith("registration:"))
    )
    items = [fr.deterministic_uuid("record-item", f"{entry['patient']}:{e}") for e in evidence]
    audit_id = fr.deterministic_uuid("audit-event", entry["hash"])
    intervened = entry["proposed"]["action"] != entry["executed"]["action"]
    rules = ", ".join(sorted({v["rule"] for v in entry["rules_fired"]})) or "none"
    description = (
        f"patient {entry['patient']} seq {entry['seq']}: proposed {entry['proposed']['name']}, executed "
        f"{entry['executed']['name']} ({entry['mode']}); rules fired: {rules}; record digest {entry['record_digest']}"
    )
    event = fr.audit_event(
        id=audit_id,
        recorded=entry["date"],
        action="E",
        outcome="4" if intervened else "0",
        agent_name=f"twin_env safety shield ({entry['mode']})",
        observer_id=SHIELD_DEVICE,
        entity_ids=items,
        description=description,
    )
    prov = fr.provenance(
        id=fr.deterministic_uuid("provenance", entry["hash"]),
        target_ids=[audit_id],
        recorded=entry["date"],
        agent_id=SHIELD_DEVICE,
        source_ids=items,
        activity=f"safety check of {entry['proposed']['name']}",
    )
    return [event, prov]


def audit_to_fhir(entries: Iterable[dict[str, Any]]) -> list[fr.Resource]:
    return [res for e in entries for res in entry_to_fhir(e)]
