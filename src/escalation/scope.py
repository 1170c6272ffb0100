"""What the model leaves out: the pathways to war it excludes, shown under every summary.

One list for every place that reports results (the terminal summary, ``summary.json``,
``narrative.md``, a sweep's report, the back-test report, the dashboard and the report page), so
that they all say the same. Plain Python, no import: reading it costs nothing.
"""

from __future__ import annotations

SCOPE_HEADING = "What the model leaves out"
"""Heading of the excluded pathways wherever they are shown."""

EXCLUDED_PATHWAYS: tuple[str, ...] = (
    "accidents other than stray Russian missiles and drones on NATO territory",
    "false alarms and misperception",
    "attacks on early-warning radars and other strategic assets",
    "a United States with its own politics and electoral cycle (it acts only as a NATO member)",
    "Belarus, North Korea, China and Iran",
    "economic war",
    "regime instability in Russia",
)
"""Pathways to NATO-Russia war that the model does not represent, one phrase each."""

CAVEAT = (
    "Probabilities are conditional on the model's assumptions. Their 95% interval is Monte Carlo "
    "error; their parameter band, 5-95% across the run's parameter draws, is what the uncertain "
    "parameters leave unknown as sim.parameters draws them (posterior: from the calibrated "
    "posterior; prior: uniform over the priors' ranges; point: the doctrine as written, only the "
    "sampled assumptions varying)."
)
"""What a probability of the model means, in one line."""


def scope_lines() -> list[str]:
    """The excluded pathways as plain text: a heading, one ``- `` line per pathway, the caveat.

    Returns:
        Lines for a terminal; they read as a Markdown list too.
    """
    return [f"{SCOPE_HEADING}:", *_bullets(), CAVEAT]


def scope_markdown(level: int = 2) -> str:
    """The excluded pathways as a Markdown section.

    Args:
        level: Heading level of the section (2: ``## What the model leaves out``).

    Returns:
        The heading, a list of the pathways and the caveat, separated by blank lines.
    """
    bullets = "\n".join(_bullets())
    return f"{'#' * level} {SCOPE_HEADING}\n\n{bullets}\n\n{CAVEAT}\n"


def _bullets() -> list[str]:
    """One Markdown list item per excluded pathway."""
    return [f"- {pathway}" for pathway in EXCLUDED_PATHWAYS]
