"""How every figure looks and is saved: sizes, type, styles, titles that fit, atomic files.

Shared by the run figures (``escalation.run.figures``), the sweep, analysis, back-test and classroom
figures and the experiments, so that a style (``plots.style``: ``default`` or ``slides``) means
the same everywhere. Matplotlib is imported lazily (``pyplot``, with the non-interactive ``Agg``
backend), so that importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalation.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGSIZE: tuple[float, float] = (10.0, 6.0)
"""Figure size in inches: readable on a projector."""


DPI: int = 120
"""Resolution of saved figures, in dots per inch."""


STYLE: dict[str, Any] = {"font.size": 11, "axes.titlesize": 13, "axes.labelsize": 12}
"""Matplotlib settings for the figures: fonts large enough for a projector."""


STYLES: dict[str, dict[str, Any]] = {
    "default": {**STYLE, "lines.linewidth": 1.5},
    "slides": {
        "font.size": 15,
        "axes.titlesize": 17,
        "axes.labelsize": 16,
        "xtick.labelsize": 14,
        "ytick.labelsize": 14,
        "legend.fontsize": 14,
        "figure.titlesize": 19,
        "lines.linewidth": 3.0,
        "axes.linewidth": 1.5,
        "errorbar.capsize": 6,
    },
}
"""Matplotlib settings by ``plots.style``: ``slides`` has larger type and thicker lines."""


FIGSIZES: dict[str, tuple[float, float]] = {"default": FIGSIZE, "slides": (13.333, 7.5)}
"""Figure size in inches by style: ``slides`` is a 16:9 slide."""


TITLE_CHAR_WIDTH = 0.5
"""Lower estimate of a character's width in DejaVu Sans, in ems: where title wrapping starts."""


def pyplot() -> Any:
    """Import pyplot lazily with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_style(style: str) -> dict[str, Any]:
    """The matplotlib settings of a style, or ValueError naming the styles allowed."""
    if style not in STYLES:
        raise ValueError(f"unknown plots.style {style!r}; allowed: {', '.join(STYLES)}")
    return STYLES[style]


def set_title(fig: Figure, title: str) -> Any:
    """Set a figure's title, each line wrapped to the canvas width so that none is clipped.

    The wrap width starts from an estimate of the characters that fit and narrows until the
    title, as laid out by the renderer, is at most 96% of the canvas wide.

    Returns:
        The title's ``Text``.
    """
    import textwrap

    text = fig.suptitle(title)
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox.width * 0.96
    size = text.get_fontsize()
    characters = max(20, int(fig.get_figwidth() * 72.0 / (size * TITLE_CHAR_WIDTH)))
    while text.get_window_extent(renderer).width > canvas and characters > 20:
        characters = max(20, int(characters * 0.92))
        text.set_text(
            "\n".join(
                wrapped
                for line in title.splitlines()
                for wrapped in (textwrap.wrap(line, characters) or [""])
            )
        )
    return text


def save_figure(fig: Figure, path: Path) -> None:
    """Save a figure to a temporary file beside ``path``, then move it into place."""
    with atomic_write(path, "wb") as stream:
        fig.savefig(stream, format=path.suffix.lstrip(".") or "png", dpi=DPI)
