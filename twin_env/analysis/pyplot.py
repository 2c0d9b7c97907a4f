"""matplotlib (the optional ``viz`` extra, ``pip install twin_env[viz]``) for the analysis plots, imported only
when a plot is drawn."""

from __future__ import annotations

from typing import Any


def agg_pyplot(missing: str) -> Any:
    """``matplotlib.pyplot`` on the Agg backend; ModuleNotFoundError(``missing``) without matplotlib."""
    try:
        import matplotlib  # noqa: PLC0415 (optional extra)

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ModuleNotFoundError:
        raise ModuleNotFoundError(missing) from None
    return plt
