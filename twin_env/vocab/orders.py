"""What an action concretely does, as judged by the safety rules."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Order:
    """One concrete thing an action would do: ``kind`` prescribe/stop/test/refer/review/model.

    ``name`` is the drug, test panel, service, review or model; ``dose`` the prescribed dose
    (units of :data:`twin_env.vocab.drugs.DRUGS`), None for other kinds.
    """

    kind: str
    name: str
    dose: float | None = None
