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


def error_line(program: str, message: object) -> str:
    r"""``PROGRAM: error: MESSAGE`` on one line, control characters shown escaped (``\x1b``).

    Every command prints its errors through this, so that a key, value or file name the user
    typed or a file held can neither break the line nor send escape sequences to the terminal.
    """
    text = "".join(
        character if character.isprintable() else repr(character)[1:-1]
        for character in str(message)
    )
    return f"{program}: error: {text}"
