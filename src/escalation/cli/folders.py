"""Output folders: which are free, writable and not in use, and how a sweep marks its own.

``escalation.cli.preflight`` decides which folder a run or a sweep writes into; these are the folder
rules it applies: a folder is used only when new or empty (``unused`` finds ``name_2``,
``name_3``, ... otherwise), the nearest existing parent must accept a new file
(``check_writable``), and a running sweep marks its folder with ``LOCK_FILE`` (``hold``) so that
a second ``escalation`` into it is refused while it runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from escalation.config.schema import ConfigError

#: Marks a sweep folder in use while its sweep runs.
LOCK_FILE = ".escalation.lock"


@contextmanager
def hold(folder: Path | None) -> Iterator[None]:
    """While a sweep runs, mark its folder as in use (``LOCK_FILE``, holding the process id).

    A second ``escalation`` into the same folder is refused meanwhile; a mark left by a killed
    process (whose id is no longer running) does not count. ``None`` (a single run) holds nothing.
    """
    if folder is None:
        yield
        return
    lock = folder / LOCK_FILE
    folder.mkdir(parents=True, exist_ok=True)
    lock.write_text(f"{os.getpid()}\n", encoding="ascii")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def running_sweep(folder: Path) -> int | None:
    """The id of a running process that holds ``folder``'s lock, if any."""
    try:
        pid = int((folder / LOCK_FILE).read_text(encoding="ascii").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return None if pid == os.getpid() else pid


def absolute(path: str) -> Path:
    """``path`` with ``~`` expanded, made absolute against the working folder."""
    return Path(path).expanduser().absolute()


def holds_files(folder: Path) -> bool:
    """Whether ``folder`` is a folder with anything in it."""
    return folder.is_dir() and any(folder.iterdir())


def some_names(folder: Path, most: int = 3) -> str:
    """The first few names in ``folder``, for a message (``a, b, c, ... (12 entries)``)."""
    names = sorted(entry.name for entry in folder.iterdir())
    more = f", ... ({len(names)} entries)" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def unused(folder: Path) -> Path:
    """``folder``, or ``folder_2``, ``folder_3``, ... : the first that is absent or empty."""
    candidate, number = folder, 1
    while candidate.exists() and (not candidate.is_dir() or holds_files(candidate)):
        number += 1
        candidate = folder.with_name(f"{folder.name}_{number}")
    return candidate


def check_writable(folder: Path, key: str) -> None:
    """The nearest existing folder on the way to ``folder`` accepts a new file."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{key}={folder}: {existing} is a file, not a folder")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".escalation-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise ConfigError(f"{key}={folder}: cannot write in {existing}: {error.strerror}") from None


def with_override(arguments: list[str], key: str, folder: Path) -> list[str]:
    """``arguments`` without the user's ``key=...``, then ``key=<folder>`` quoted for Hydra."""
    kept = [argument for argument in arguments if argument.partition("=")[0] != key]
    quoted = str(folder).replace("\\", "\\\\").replace("'", "\\'")
    return [*kept, f"{key}='{quoted}'"]
