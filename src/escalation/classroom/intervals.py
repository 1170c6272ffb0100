"""Both intervals of a number, as the dashboard and the report page write them.

Every probability the classroom shows carries its 95% Monte Carlo interval and its parameter
band (``escalation.run.results.summarize``), and every table of them has the one line under it
that says what the two mean (``BAND_NOTE``). Plain text, no Streamlit: the report page uses it
too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalation.run.results import BAND_NOTE, NO_BAND

__all__ = [
    "BAND_COLUMN",
    "BAND_NOTE",
    "INTERVAL_COLUMN",
    "NO_BAND",
    "band_span",
    "headline",
    "intervals",
    "span",
]

INTERVAL_COLUMN = "95% interval"
"""The header of a table's Monte Carlo interval."""

BAND_COLUMN = "Parameter band"
"""The header of a table's parameter band."""

DASH = "\u2013"
"""The en dash between the ends of a range in a phrase."""


def span(low: Any, high: Any, form: str = "{:.1%}", *, joiner: str = " to ") -> str:
    """Two ends as text, ``"2.9% to 4.2%"``; ``NO_BAND`` when either is None or NaN.

    Args:
        low: Lower end.
        high: Upper end.
        form: The format of each end, e.g. ``"{:.1%}"``, ``"{:+.2f}"``.
        joiner: What stands between the ends.
    """
    if low is None or high is None or low != low or high != high:  # None or NaN
        return NO_BAND
    return f"{form.format(low)}{joiner}{form.format(high)}"


def band_span(item: Mapping[str, Any], form: str = "{:.1%}") -> str:
    """The parameter band of a summary's entry (``band_low``, ``band_high``) as text.

    A summary written before the bands has no ``band_low``: ``NO_BAND``.
    """
    return span(item.get("band_low"), item.get("band_high"), form)


def intervals(item: Mapping[str, Any]) -> str:
    """Both intervals of a probability, ``"95% MC 2.9-4.2%; parameter band 1.0-8.3%"``.

    Args:
        item: One entry of a summary's ``probabilities`` (``low``, ``high``, ``band_low``,
            ``band_high``; a summary written before the bands has no ``band_low``).

    Returns:
        The phrase, with en dashes; ``"...; no parameter band"`` when the run has fewer than
        two parameter draws.
    """
    mc = f"95% MC {span(item['low'] * 100, item['high'] * 100, '{:.1f}', joiner=DASH)}%"
    low, high = item.get("band_low"), item.get("band_high")
    if low is None or high is None:
        return f"{mc}; no parameter band"
    return f"{mc}; parameter band {span(low * 100, high * 100, '{:.1f}', joiner=DASH)}%"


def headline(item: Mapping[str, Any]) -> str:
    """A probability with both intervals, ``"3.5% (95% MC 2.9-4.2%; parameter band 1.0-8.3%)"``.

    Args:
        item: One entry of a summary's ``probabilities`` (``p`` and what ``intervals`` reads).
    """
    return f"{item['p']:.1%} ({intervals(item)})"
