"""Output folders: which are free, writable and not in use, and how a run or a sweep claims its own.

``escalation.cli.preflight`` decides which folder a run or a sweep writes into; these are the folder
rules it applies: a folder is used only when new or empty (``unused`` finds ``name_2``,
``name_3``, ... otherwise), the nearest existing parent must accept a new file
(``check_writable``). ``hold`` then claims it (``escalation.files.own_folder``): a run's folder
gets its marker exclusively, so that of two runs given the same new folder one is refused; a
sweep's folder is locked while its sweep runs, so that a second ``escalation`` into it is refused.
Paths are resolved (``~``, symbolic links, ``..``) before any check.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from escalation.config.schema import ConfigError
from escalation.files import FileRefused, lock_holder, own_folder, real, some_names

__all__ = [
    "absolute",
    "check_writable",
    "hold",
    "holds_files",
    "running_sweep",
    "some_names",
    "unused",
    "with_override",
]


@contextmanager
def hold(folder: Path | None, *, sweep: bool = True) -> Iterator[None]:
    """While a run or a sweep runs, hold its folder as its own (``escalation.files.own_folder``).

    A run's folder must be new or empty and is claimed exclusively; a sweep's folder is locked
    (a lock left by a killed process does not count). ``None`` (``--help`` and the like) holds
    nothing.

    Raises:
        ConfigError: Another ``escalation`` holds the folder, or it holds files escalation did
            not make.
    """
    if folder is None:
        yield
        return
    key = "hydra.sweep.dir" if sweep else "hydra.run.dir"
    claim = ExitStack()
    try:
        claim.enter_context(own_folder(folder, f"{key}={folder}", fresh=not sweep))
    except FileRefused as error:
        raise ConfigError(str(error)) from None
    with claim:
        yield


def running_sweep(folder: Path) -> int | None:
    """The id of a running process that holds ``folder``'s lock, if any."""
    return lock_holder(folder)


def absolute(path: str) -> Path:
    """``path`` with ``~`` expanded, made absolute, its symbolic links and ``..`` resolved."""
    return real(path)


def holds_files(folder: Path) -> bool:
    """Whether ``folder`` is a folder with anything in it."""
    return folder.is_dir() and any(folder.iterdir())


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
