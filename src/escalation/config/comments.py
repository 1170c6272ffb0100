"""What the packaged config files say about each key: the comment on its line.

The files are written one key a line, each value's meaning, unit and source in its line comment
(``cost_sensitivity: {low: 0.5, high: 3.0}  # how much ...; source: ...``). The dashboard's
slider help and the docs' configuration reference both read them here.
"""

from __future__ import annotations

import re
from typing import Protocol

#: A key line of a block-style YAML file: indent, key, and the rest of the line.
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_]\w*):(?P<rest>.*)$")


class Readable(Protocol):
    """A file a config is read from: a ``Path`` or an ``importlib.resources`` traversable."""

    def read_text(self, encoding: str = ...) -> str:
        """The file's text."""
        ...


def line_comment(text: str) -> str:
    """The comment of a YAML line (after `` #`` outside quotes), or ``""``."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[index + 1 :].strip()
    return ""


def yaml_comments(path: Readable, prefix: str = "") -> dict[str, tuple[str, int, bool]]:
    """Each key of a YAML file: its comment, its line number, and whether its value is ``{...}``.

    Args:
        path: A config file written one key a line (block style, flow mappings on one line).
        prefix: The config path the file fills in (``"policy."``).

    Returns:
        ``{"policy.troops": ("none | noncombat | combat", 5, False), ...}``; the ``defaults``
        list is not a key.
    """
    found: dict[str, tuple[str, int, bool]] = {}
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = KEY_LINE.match(line)
        if not match or match["key"] == "defaults":
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = ".".join([name for _, name in stack] + [match["key"]])
        stack.append((indent, match["key"]))
        rest = match["rest"].strip()
        found[prefix + key] = (line_comment(rest), number, rest.startswith("{"))
    return found
