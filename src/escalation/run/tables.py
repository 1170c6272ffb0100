"""A run's and a sweep's tables on disk: CSV for spreadsheets or Parquet for analysts' tools.

``sim.tables`` chooses the format of ``outcomes`` and ``trajectories`` (a sweep's gathered
``outcomes`` too); the file's suffix names it (``outcomes.csv``, ``outcomes.parquet``), and every
reader finds a table in whichever format it was written (``find_table``, ``read_table``).

Both formats hold the same content: read back (``read_table``), the same config and seed give
equal frames, column names, order and dtypes included. Whole numbers are ``int64``, real numbers
``float64`` (NaN where a value is undefined, e.g. ``months_to_retaliation`` without retaliation),
yes/no values ``bool`` and text stays text (``""`` included). Real numbers CSV writes with fewer
digits (``float_format="%.6g"``: the trajectories) are rounded alike in Parquet, to the same
number. Only CSV escapes a text cell a spreadsheet would run as a formula
(``escalation.files.formula_safe``); Parquet holds the text as it is. Parquet files are written
with pyarrow (the ``parquet`` extra), Snappy-compressed, without the pandas index, and are
byte-identical for the same config and seed (pyarrow records its version, no time).
"""

from __future__ import annotations

import hashlib
import io
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.schema import PARQUET_HINT, TABLE_FORMATS
from escalation.errors import first_line
from escalation.files import atomic_write, formula_safe, open_regular


def table_file(name: str, tables: str) -> str:
    """The file name of table ``name`` (``outcomes``) in format ``tables``: ``outcomes.parquet``."""
    return f"{name}.{tables}"


def find_table(folder: Path, name: str) -> Path | None:
    """Table ``name`` of ``folder`` in whichever format it was written; None if there is none.

    Raises:
        ValueError: The folder holds it in two formats (written by hand: escalation removes the
            other format's table whenever it writes one), naming both.
    """
    found = [folder / table_file(name, tables) for tables in TABLE_FORMATS]
    found = [path for path in found if path.is_file() or path.is_symlink()]
    if len(found) > 1:
        raise ValueError(
            f"{folder} holds both {' and '.join(path.name for path in found)}: remove the one "
            "that is out of date"
        )
    return found[0] if found else None


def write_table(
    folder: Path, name: str, frame: pd.DataFrame, tables: str, *, float_format: str | None = None
) -> Path:
    """Write ``frame`` as table ``name`` of ``folder`` in format ``tables``, atomically.

    The same table in the other format, left by an earlier run of another ``sim.tables``, is
    removed, so that a folder holds each table once.

    Args:
        folder: The run or sweep folder.
        name: The table (``outcomes``, ``trajectories``).
        frame: Its rows.
        tables: ``csv`` or ``parquet`` (``sim.tables``).
        float_format: How CSV writes real numbers (``%.6g``; None: every digit); Parquet rounds
            them to the same number (``significant``).

    Returns:
        The file written.
    """
    path = folder / table_file(name, tables)
    if tables == "parquet":
        pyarrow_parquet = _pyarrow_parquet()
        table = parquet_table(frame, float_format)
        with atomic_write(path, "wb") as stream:
            pyarrow_parquet.write_table(table, stream, compression="snappy")
    else:
        text = numbers_csv(frame) if float_format is None else None
        with atomic_write(path) as stream:
            if text is not None:
                stream.write(text)
            else:
                formula_safe(frame).to_csv(
                    stream, index=False, lineterminator="\n", float_format=float_format
                )
    for other in TABLE_FORMATS:
        if other != tables:
            (folder / table_file(name, other)).unlink(missing_ok=True)
    return path


#: Cells of formatted columns ``numbers_csv`` keeps for the next tables (about 70 bytes each).
KEPT_CELLS = 500_000

_formatted: OrderedDict[bytes, list[str]] = OrderedDict()


def numbers_csv(frame: pd.DataFrame) -> str | None:
    """``frame.to_csv(index=False)`` (lines ending in LF) for a table of numbers and yes/no values.

    Each column is formatted as pandas formats it (numpy's shortest text of a real number,
    ``""`` for NaN, ``True``/``False``), and the columns are joined row by row. A column
    written before, value for value, is not formatted again: the worlds of one model
    (``escalation.run.worlds``) share their parameter columns, written once per world's job.
    None for any other table (text, dates, one column, no row, names that are not text): pandas
    writes it.
    """
    names = list(frame.columns)
    plain = len(names) > 1 and len(frame) > 0 and len(set(names)) == len(names)
    if not plain or not all(isinstance(name, str) for name in names):
        return None
    if any(dtype.kind not in "biuf" for dtype in frame.dtypes):
        return None
    header = pd.DataFrame(columns=names).to_csv(index=False, lineterminator="\n")
    cells = [_cells(frame[name].to_numpy()) for name in names]
    return header + "\n".join(map(",".join, zip(*cells, strict=True))) + "\n"


def _cells(values: np.ndarray) -> list[str]:
    """A column's cells as pandas' CSV writer formats them; kept for a column seen again."""
    key = values.dtype.str.encode() + hashlib.blake2b(values.tobytes(), digest_size=16).digest()
    cells = _formatted.get(key)
    if cells is not None:
        _formatted.move_to_end(key)
        return cells
    if values.dtype.kind == "f":
        text = values.astype(str)
        text[np.isnan(values)] = ""
    else:
        text = values.astype(str)  # True/False, or the integers' digits
    cells = text.tolist()
    _formatted[key] = cells
    kept = sum(map(len, _formatted.values()))
    while kept > KEPT_CELLS and _formatted:
        kept -= len(_formatted.popitem(last=False)[1])
    return cells


def parquet_table(frame: pd.DataFrame, float_format: str | None = None) -> Any:
    """``frame`` as the pyarrow table Parquet stores: the dtypes a CSV of it reads back as.

    Narrow integers (``int8`` rungs) become ``int64``, real numbers are rounded as
    ``float_format`` writes them in CSV; a column of Python numbers (a swept key's values)
    becomes numbers, and one of numbers and text (a key given as a number in one job and a
    date in another) becomes text.
    """
    import pyarrow as pa  # 0.1 s: only when a Parquet table is written

    columns = {}
    for column in frame.columns:
        values = frame[column]
        kind = values.dtype.kind
        if kind in "iu":
            values = values.astype("int64")
        elif kind == "f":
            values = values.astype("float64")
            if float_format is not None:
                rounded = significant(values.to_numpy(), float_format)
                values = pd.Series(rounded, index=values.index, name=column)
        elif kind == "O":  # a column of Python values: typed as a CSV reader would type it
            inferred = pd.api.types.infer_dtype(values, skipna=True)
            if inferred in ("integer", "floating", "mixed-integer-float"):
                values = pd.to_numeric(values)  # None: NaN
            elif inferred == "boolean" and not values.isna().any():
                values = values.astype(bool)
            elif inferred.startswith("mixed"):
                values = values.map(lambda value: value if pd.isna(value) else str(value))
        columns[str(column)] = values
    return pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)


def significant(values: np.ndarray, float_format: str) -> np.ndarray:
    """Real numbers rounded as ``float_format % value`` writes them (``%.6g``), read back.

    Rule: with ``d`` significant digits, ``x`` becomes round(x · 10^k) / 10^k, k = d − 1 −
    floor(log10 |x|), which is the decimal ``%.{d}g`` writes (10^k and the integer are exact, so
    the division rounds correctly); the few values within floating-point error of a tie, or
    beyond 10^±22, are formatted and read back one by one. Zero, NaN and
    infinities stay as they are.
    """
    digits = int(float_format.removeprefix("%.").removesuffix("g"))
    values = np.asarray(values, dtype=np.float64)
    result = values.copy()
    finite = np.isfinite(values) & (values != 0)
    x = values[finite]
    power = digits - 1 - np.floor(np.log10(np.abs(x)))
    scaled = x * 10.0**power
    rounded = np.rint(scaled)
    out = np.where(power >= 0, rounded / 10.0**power, rounded * 10.0**-power)
    # Formatted one by one: near a tie; a power of ten misjudged by log10; 10^k not exact.
    exact = (np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) > 1e-6) & (np.abs(power) <= 22)
    exact &= (np.abs(rounded) >= 10 ** (digits - 1)) & (np.abs(rounded) < 10**digits)
    out[~exact] = [float(float_format % value) for value in x[~exact]]
    result[finite] = out
    return result


def read_table(
    path: Path, *, root: Path | None = None, text: str | None = None, **csv_options: Any
) -> pd.DataFrame:
    """A table written by ``write_table``, CSV or Parquet by its suffix, checked to be whole.

    Args:
        path: The table's file (``find_table``); a regular file, never a symbolic link
            (``escalation.files.open_regular``).
        root: The folder it is read from: no folder between it and the file may be a link.
        text: A CSV table's text, when it has been read already (``path`` then names it).
        csv_options: Options of ``pandas.read_csv`` (a CSV's text columns).

    Raises:
        ValueError: ``malformed NAME: reason`` in one line: unreadable, cut short (a CSV without
            its final line break), a NUL byte in a CSV, or not Parquet; or pyarrow is missing
            (the message names the extra to install).
    """
    pyarrow_parquet = _pyarrow_parquet() if path.suffix == ".parquet" else None
    try:
        if pyarrow_parquet is not None:
            with open_regular(path, root) as stream:
                return pyarrow_parquet.read_table(stream).to_pandas()
        if text is None:
            with open_regular(path, root) as stream:
                data = stream.read()
            if b"\0" in data:
                raise ValueError("holds a NUL byte, not text")
            text = data.decode("utf-8")
        elif "\0" in text:
            raise ValueError("holds a NUL byte, not text")
        if not text.endswith("\n"):
            raise ValueError("cut short (no line break at its end)")
        return pd.read_csv(io.StringIO(text), **csv_options)
    except (OSError, ValueError, TypeError, pd.errors.ParserError) as error:
        raise ValueError(f"malformed {path.name}: {first_line(error)}") from None


def malformed(path: Path, error: ValueError) -> str:
    """``PATH is malformed: reason`` for an error of ``read_table``; ``PATH: message`` otherwise."""
    prefix = f"malformed {path.name}: "
    message = str(error)
    if message.startswith(prefix):
        return f"{path} is malformed: {message.removeprefix(prefix)}"
    return f"{path}: {message}"


def count_rows(path: Path) -> int | None:
    """A table's rows: a Parquet file's from its footer; a CSV's lines after its header.

    Returns:
        None for a CSV cut short (``table_rows``).

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not a regular file, not Parquet, or holds a NUL byte.
    """
    if path.suffix != ".parquet":
        return table_rows(path)
    pyarrow_parquet = _pyarrow_parquet()
    with open_regular(path) as stream:
        return int(pyarrow_parquet.ParquetFile(stream).metadata.num_rows)


def table_rows(path: Path) -> int | None:
    """The number of rows of a CSV table after its header; None if it is cut short.

    A table cut short (a killed writer, a full disk) lacks its final line break. Counting
    lines assumes no line break inside a field, which holds for the tables written here. The
    table is a regular file, not a symbolic link (``escalation.files.open_regular``), and holds
    no NUL byte.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not a regular file (``escalation.files.FileRefused``), or holds a NUL
            byte.
    """
    lines, last = 0, b"\n"
    with open_regular(path) as stream:
        while block := stream.read(1 << 20):
            if b"\0" in block:
                raise ValueError("holds a NUL byte, not text")
            lines += block.count(b"\n")
            last = block[-1:]
    if lines == 0 or last != b"\n":
        return None
    return lines - 1


def _pyarrow_parquet() -> Any:
    """``pyarrow.parquet``, imported when a Parquet table is written or read (0.1 s).

    Raises:
        ValueError: pyarrow is not installed; the message names the extra to install.
    """
    try:
        import pyarrow.parquet
    except ImportError:
        raise ValueError(f"Parquet tables need pyarrow: {PARQUET_HINT}") from None
    return pyarrow.parquet
