"""One-line error messages: what every command prints on stderr instead of a traceback."""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def describe_os_error(error: OSError) -> str:
    """``FILE: reason`` for a failed file operation, e.g. ``run/outcomes.csv: No space left``."""
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or first_line(error)}"
