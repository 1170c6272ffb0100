"""Files the tool writes and reads back, held to its own folders.

- ``atomic_write``: a reader never sees a half-written output file.
- ``own_folder``: a command writes only into a folder that is new, empty, or one escalation made
  (it holds ``MARKER``, written when escalation created or claimed it); a run claims its new
  folder exclusively, and other commands lock theirs (``LOCK_FILE``) while they write.
- ``subfolder``: a folder written inside an output folder is never a symbolic link out of it.
- ``open_regular`` / ``read_regular``: a file read back is a regular file (never a device, a
  pipe, a folder or a system file whose size is not known), reached without a symbolic link
  below the folder it is read from, and, when read whole, of bounded size.
- ``formula_safe``: text cells of a CSV that a spreadsheet would run as a formula are escaped.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, BinaryIO

#: Marks a folder escalation made (or claimed while empty): only such a folder is written into
#: when it holds other files.
MARKER = ".escalation"
MARKER_TEXT = "This folder was made by escalation, which writes and rewrites files here.\n"
#: Marks a folder in use while a command writes into it; holds the process id.
LOCK_FILE = ".escalation.lock"
#: The most bytes read whole from a file read back (a config, a summary, a figure).
MAX_READ = 16 * 2**20
#: Cells starting with these are formulas to a spreadsheet (CSV injection); such text cells
#: are written with a leading ``'``.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileRefused(ValueError):
    """A file or folder the tool will not read or write; the message is one line naming it."""


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` and move it into place only on success.

    Args:
        path: The final file.
        mode: ``"w"`` for text (UTF-8) or ``"wb"`` for bytes.

    Yields:
        The open temporary file. If the block raises, the temporary file is removed and
        ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, _default_file_mode())
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(handle, mode, encoding=encoding, newline="" if encoding else None) as f:
            yield f
        os.replace(temporary, path)
    except OSError as error:  # e.g. a full disk: name the file being written
        Path(temporary).unlink(missing_ok=True)
        if error.filename is None:
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def temporary_names(name: str) -> str:
    """The glob pattern of ``atomic_write``'s temporary files for a file called ``name``."""
    return f".{name}.*.tmp"


def _default_file_mode() -> int:
    """Permissions of a newly created file under the current umask (mkstemp makes 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def real(path: str | os.PathLike[str]) -> Path:
    """``path`` with ``~`` expanded, made absolute, its symbolic links and ``..`` resolved."""
    return Path(path).expanduser().resolve()


def shown(name: str | os.PathLike[str]) -> str:
    """A name or path for a message: as it is, or quoted with its control characters escaped."""
    text = str(name)
    return text if text.isprintable() else ascii(text)


def some_names(folder: Path, most: int = 3) -> str:
    """The first few names in ``folder``, for a message (``a, b, c, ... (12 entries)``)."""
    names = sorted(shown(entry.name) for entry in folder.iterdir())
    more = f", ... ({len(names)} entries)" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def made_by_escalation(folder: Path) -> bool:
    """Whether escalation made ``folder``: it or its parent (a sweep's job) holds ``MARKER``."""
    return any(
        (place / MARKER).is_file() and not (place / MARKER).is_symlink()
        for place in (folder, folder.parent)
    )


def check_output_folder(folder: str | os.PathLike[str], name: str) -> Path:
    """An output folder, resolved: absent, empty or made by escalation.

    Args:
        folder: The folder as given.
        name: How the command names it, to start a message (``--out DIR``, ``hydra.run.dir=DIR``).

    Raises:
        FileRefused: It is a file, or a folder holding files escalation did not make.
    """
    name = shown(name)
    folder = real(folder)
    if folder.exists() and not folder.is_dir():
        raise FileRefused(f"{name}: a file, not a folder; give a new folder")
    if folder.is_dir() and any(folder.iterdir()) and not made_by_escalation(folder):
        raise FileRefused(
            f"{name}: holds files escalation did not make ({some_names(folder)}); "
            "give a new or empty folder"
        )
    return folder


@contextmanager
def own_folder(folder: str | os.PathLike[str], name: str, *, fresh: bool = False) -> Iterator[Path]:
    """Hold an output folder (``check_output_folder``) as this command's own while the block runs.

    The folder is created if need be, with ``MARKER``. ``fresh`` (a run): the folder must be new
    or empty, and its marker is created exclusively, so that of two commands given the same
    folder one is refused. Otherwise ``LOCK_FILE`` is created exclusively for the block's
    duration; a lock whose process is no longer running is taken over. If the block fails,
    what was created here and is still empty is removed again.

    Yields:
        The resolved folder.

    Raises:
        FileRefused: The folder cannot be used, or another command holds it.
    """
    folder = check_output_folder(folder, name)
    name = shown(name)
    if fresh and folder.is_dir() and any(folder.iterdir()):
        raise FileRefused(
            f"{name}: already holds files ({some_names(folder)}): a run folder holds "
            "one run; give a new folder"
        )
    created = [place for place in (folder, *folder.parents) if not place.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER if fresh or not made_by_escalation(folder) else None
    lock = None
    marked = False
    try:
        if marker is not None:
            marked = _create(marker, exclusive=fresh, name=name)
        if not fresh:
            lock = _lock(folder, name)
        yield folder
    except BaseException:
        _release(lock)
        if marked and [entry.name for entry in folder.iterdir()] == [MARKER]:
            marker.unlink()
        for place in created:  # innermost first; a folder holding anything stays
            with suppress(OSError):
                place.rmdir()
        raise
    _release(lock)


def _release(lock: Path | None) -> None:
    """Remove a lock this command made."""
    if lock is not None:
        lock.unlink(missing_ok=True)


def _create(marker: Path, *, exclusive: bool, name: str) -> bool:
    """Write ``MARKER`` into its folder if absent (True); ``exclusive``: refuse when it exists."""
    try:
        _write_new(marker, MARKER_TEXT)
    except FileExistsError:
        if exclusive:
            raise FileRefused(
                f"{name}: taken by another escalation started at the same time; give another folder"
            ) from None
        return False
    return True


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` holding ``text``; ``FileExistsError`` if anything (a link too) is there."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)


def _lock(folder: Path, name: str) -> Path:
    """Create ``folder``'s ``LOCK_FILE`` (holding this process's id), atomically, or refuse."""
    lock = folder / LOCK_FILE
    staged = folder / f"{LOCK_FILE}.{os.getpid()}.tmp"
    staged.unlink(missing_ok=True)  # left by a killed process that had this id
    _write_new(staged, f"{os.getpid()}\n")
    try:
        for _ in range(2):
            try:
                _place(staged, lock)
                return lock
            except FileExistsError:
                holder = lock_holder(folder)
                if holder is not None:
                    raise FileRefused(
                        f"{name}: in use by another escalation (process {holder}); wait for it "
                        f"to end, or give another folder (or remove {shown(lock)} if no "
                        "escalation is running)"
                    ) from None
                lock.unlink(missing_ok=True)  # left by a process that is no longer running
        raise FileRefused(f"{name}: in use by another escalation; try again")
    finally:
        staged.unlink(missing_ok=True)


def _place(staged: Path, lock: Path) -> None:
    """Put the staged lock in place whole, failing with ``FileExistsError`` if a lock exists."""
    try:
        os.link(staged, lock)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: create it exclusively instead
        _write_new(lock, staged.read_text(encoding="utf-8"))


def lock_holder(folder: Path) -> int | None:
    """The id of another running process that holds ``folder``'s lock, if any."""
    try:
        pid = int(read_regular(folder / LOCK_FILE, limit=64).decode("ascii").strip())
    except (OSError, ValueError):
        return None
    if pid == os.getpid() or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except PermissionError:
        return pid  # running, as another user
    except (OSError, OverflowError):
        return None
    return pid


def subfolder(folder: Path, name: str) -> Path:
    """``folder / name`` to write into, never a symbolic link (writing would follow it out).

    Raises:
        FileRefused: It is a symbolic link.
    """
    path = folder / name
    if path.is_symlink():
        raise FileRefused(
            f"{shown(path)} is a symbolic link: escalation writes only inside {shown(folder)}"
        )
    return path


def move_into_place(staging: Path, out: Path) -> list[Path]:
    """Move a staging folder's files into ``out``, never through a symbolic link there.

    Returns:
        The files moved, at their new place, sorted.
    """
    files = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
    for relative in files:
        if len(relative.parts) > 1:
            subfolder(out, relative.parts[0]).mkdir(exist_ok=True)
        (staging / relative).replace(out / relative)
    return [out / relative for relative in files]


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(
    path: str | os.PathLike[str], root: Path | None = None, *, follow: bool = False
) -> BinaryIO:
    """Open a file to read back: a regular file, reached without a symbolic link below ``root``.

    Args:
        path: The file.
        root: The folder it is read from (a run or sweep folder); no folder between ``root``
            and the file may be a symbolic link.
        follow: Follow a symbolic link at ``path`` itself (a file the user names); by default a
            link there is refused.

    Raises:
        FileRefused: A symbolic link on the way, or not a regular file (a folder, a device, a
            pipe, a socket): nothing is read from it.
        OSError: The file cannot be opened (e.g. ``FileNotFoundError``).
    """
    path = Path(path)
    if root is not None:
        place = Path(root)
        for part in path.relative_to(root).parts[:-1]:
            place = place / part
            if place.is_symlink():
                raise FileRefused(
                    f"{shown(place)} is a symbolic link: files are read only inside {shown(root)}"
                )
    mode = (os.stat if follow else os.lstat)(path).st_mode
    if stat.S_ISLNK(mode):
        raise FileRefused(
            f"{shown(path)} is a symbolic link: files are read only inside their folder"
        )
    if not stat.S_ISREG(mode):
        raise FileRefused(f"{shown(path)} is {_kind(mode)}, not a regular file")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileRefused(f"{shown(path)} is a symbolic link") from None
        raise
    mode = os.fstat(handle).st_mode
    if not stat.S_ISREG(mode):  # replaced since the check above
        os.close(handle)
        raise FileRefused(f"{shown(path)} is {_kind(mode)}, not a regular file")
    os.set_blocking(handle, True)
    return os.fdopen(handle, "rb")


def read_regular(
    path: str | os.PathLike[str],
    root: Path | None = None,
    *,
    follow: bool = False,
    limit: int | None = MAX_READ,
) -> bytes:
    """The whole of a regular file (``open_regular``) of at most ``limit`` bytes (None: any size).

    A file whose size the system does not report (``/proc``, ``/sys``) is refused: what is read
    must be the size the file system gives.

    Raises:
        FileRefused: Not a regular file, reached through a symbolic link, or too large.
        OSError: The file cannot be opened or read.
    """
    with open_regular(path, root, follow=follow) as stream:
        size = os.fstat(stream.fileno()).st_size
        if limit is not None and size > limit:
            raise FileRefused(
                f"{shown(path)} holds {size:,} bytes, more than the {limit:,} read at most"
            )
        data = stream.read(size + 1 if limit is None else limit + 1)
    if len(data) != size:
        raise FileRefused(
            f"{shown(path)} is a system file whose size is not known, not a regular file"
        )
    return data


def read_text(path: str | os.PathLike[str], root: Path | None = None, **options: Any) -> str:
    """``read_regular`` decoded as UTF-8 (``UnicodeDecodeError`` is a ``ValueError``)."""
    return read_regular(path, root, **options).decode("utf-8")


def formula_safe_text(text: Any) -> Any:
    """A text cell with ``'`` in front when a spreadsheet would run it as a formula.

    Numbers written as text (``-0.5``, ``+3``) are left as they are; anything else is unchanged.
    """
    if not isinstance(text, str) or not text.startswith(FORMULA_STARTS):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def formula_safe(frame: Any) -> Any:
    """A table to write as CSV, its text cells escaped (``formula_safe_text``); numbers untouched.

    Only columns of text (object, string or category) are looked at, through their distinct
    values; the table itself is returned when no cell needs escaping.
    """
    risky = [
        column
        for column in frame.columns
        if frame[column].dtype.kind == "O" or str(frame[column].dtype) in ("string", "category")
        if any(formula_safe_text(value) is not value for value in frame[column].unique())
    ]
    if not risky:
        return frame
    frame = frame.copy()
    for column in risky:
        frame[column] = frame[column].map(formula_safe_text)
    return frame
