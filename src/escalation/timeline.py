"""The timeline of dated events: its vocabulary, loading with one-line errors, replay events.

A timeline is a CSV file with the columns ``month, actor, event, description, source``, one row
per dated event, sorted by month (``YYYY-MM``; dates are to the month). It is read as what it
is: a regular file (never a device, a pipe, a folder or a system file) of at most
``MAX_TIMELINE_BYTES``; an error names the file, line and column without echoing the file (a
cell is shown, shortened, only in a file whose header proved it a timeline). Western and
Ukrainian events drive the replay (``escalation.model.replay``; the ``history`` scenario and
``escalation-backtest``); Russian and joint events are what the back-test scores. This module
needs only the standard library (and ``escalation.files``), so the model and the back-test can
both read it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from escalation.files import FileRefused, read_regular

COLUMNS = ("month", "actor", "event", "description", "source")
"""The columns of a timeline file, in this order."""

WESTERN_ACTORS = ("west", "nato", "us", "uk", "france", "germany")
ACTORS = (*WESTERN_ACTORS, "russia", "ukraine")
"""Who acts: ``west``/``nato`` stand for every member, the others for one government."""

WITHDRAWALS = (
    "aid_withdrawn",
    "advanced_weapons_withdrawn",
    "training_withdrawn",
    "instructors_withdrawn",
    "troops_withdrawn",
    "deep_strikes_withdrawn",
)
"""Western measures withdrawn (model v3): the measure is out of force from that month."""
WESTERN_EVENTS = (
    "aid",
    "advanced_weapons",
    "training",
    "instructors",
    "deep_strikes_limited",
    "deep_strikes_authorized",
    "troops_noncombat",
    "troops_combat",
    "posture_ambiguity",
    "posture_red_lines",
    *WITHDRAWALS,
)
UKRAINIAN_EVENTS = ("incursion", "domestic_deep_strikes")
RUSSIAN_EVENTS = (
    "nuclear_signalling",
    "hybrid_attacks",
    "strikes_on_western_forces",
    "strikes_on_nato",
    "nuclear_use",
)
JOINT_EVENTS = ("nato_military_response", "direct_conflict")
EVENTS = WESTERN_EVENTS + UKRAINIAN_EVENTS + RUSSIAN_EVENTS + JOINT_EVENTS
"""The event vocabulary."""
DRIVEN_EVENTS = WESTERN_EVENTS + UKRAINIAN_EVENTS
"""Events the replay puts in force on their month."""
SCORED_EVENTS = RUSSIAN_EVENTS + JOINT_EVENTS
"""Event classes the back-test forecasts and scores, month by month."""

#: Which actors may take each kind of event.
ACTORS_OF_EVENT: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(WESTERN_EVENTS, WESTERN_ACTORS),
    **dict.fromkeys(UKRAINIAN_EVENTS, ("ukraine",)),
    **dict.fromkeys(RUSSIAN_EVENTS, ("russia",)),
    **dict.fromkeys(JOINT_EVENTS, (*WESTERN_ACTORS, "russia")),
}

SHIPPED_TIMELINE = "timeline.csv"
#: The largest timeline read (the shipped one, 22 years of events, is 16 KB).
MAX_TIMELINE_BYTES = 2**20
#: The most characters of a cell shown in an error message.
SHOWN_CELL = 40
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class TimelineError(ValueError):
    """A timeline file that cannot be used; the message is one line naming file, row, column."""


@dataclass(frozen=True)
class Event:
    """One dated event of a timeline."""

    month: str
    actor: str
    event: str
    description: str
    source: str
    line: int
    """Line of the file the row starts on (the header is line 1)."""


@dataclass(frozen=True)
class Timeline:
    """A validated timeline: its events in file order (sorted by month) and where it came from."""

    events: tuple[Event, ...]
    path: str

    @property
    def first_month(self) -> str:
        """The month of the first event."""
        return self.events[0].month

    @property
    def last_month(self) -> str:
        """The month of the last event."""
        return self.events[-1].month

    @property
    def months(self) -> list[str]:
        """Every month from the first event's to the last's, gaps included."""
        return month_range(self.first_month, self.last_month)

    def observed(self, event: str) -> set[str]:
        """The months in which ``event`` happened."""
        return {e.month for e in self.events if e.event == event}


def shipped_timeline_path() -> Path:
    """The timeline shipped with the package (``escalation/data/timeline.csv``)."""
    return Path(str(files("escalation.data") / SHIPPED_TIMELINE))


def month_index(month: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` month; the difference of two is their distance."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_name(index: int) -> str:
    """The ``YYYY-MM`` month of a ``month_index``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, as ``YYYY-MM``."""
    return [month_name(index) for index in range(month_index(first), month_index(last) + 1)]


def is_month(text: str) -> bool:
    """Whether ``text`` is a month like ``2024-09``."""
    return _MONTH.fullmatch(text) is not None


def replay_events(
    timeline: Timeline, start: str | None = None, until: str | None = None
) -> dict[int, list[tuple[str, str]]]:
    """The Western and Ukrainian events by month, month 1 being ``start``.

    Args:
        timeline: A validated timeline.
        start: The replay's first month (``YYYY-MM``); default: the timeline's first month.
            Earlier events are in force from the start (month 1).
        until: Last month replayed (``YYYY-MM``); later events are left out. Default: all.

    Returns:
        ``{month: [(actor, event), ...]}`` in file order; Russian and joint events are left
        out (they are scored, not driven).
    """
    first = month_index(start or timeline.first_month)
    last = month_index(until) if until else month_index(timeline.last_month)
    events: dict[int, list[tuple[str, str]]] = {}
    for event in timeline.events:
        index = month_index(event.month)
        if event.event in DRIVEN_EVENTS and index <= last:
            events.setdefault(max(index - first + 1, 1), []).append((event.actor, event.event))
    return events


def load_timeline(path: str | os.PathLike[str] | None = None) -> Timeline:
    """Read and validate a timeline file (default: the shipped one).

    Rules: a regular file of at most ``MAX_TIMELINE_BYTES``, UTF-8 text; the header is exactly
    ``month,actor,event,description,source``; every row has these
    five fields; ``month`` is ``YYYY-MM``; ``actor`` and ``event`` come from the vocabulary and
    fit each other (a Russian event is Russia's, a Western measure a Western actor's);
    ``description`` and ``source`` are not empty; rows are sorted by month; at least one row.

    Raises:
        TimelineError: One line: ``FILE:LINE: column 'NAME': what is wrong; allowed: ...``.
    """
    path = shipped_timeline_path() if path is None else Path(path)
    name = str(path)
    try:
        text = read_regular(path, follow=True, limit=MAX_TIMELINE_BYTES).decode("utf-8-sig")
    except FileNotFoundError:
        raise TimelineError(f"{name}: no such file") from None
    except FileRefused as error:
        raise TimelineError(f"{error}; a timeline is a CSV file") from None
    except UnicodeDecodeError:
        raise TimelineError(f"{name}: not a UTF-8 text file") from None
    except OSError as error:
        raise TimelineError(f"{name}: cannot read ({error.strerror})") from None
    return parse_timeline(text, name)


def parse_timeline(text: str, name: str = "<timeline>") -> Timeline:
    """Validate a timeline given as CSV text; ``name`` is used in error messages."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise TimelineError(f"{name}:1: malformed CSV ({error})") from None
    if header is None:
        raise TimelineError(f"{name}: empty file; expected the header {','.join(COLUMNS)}")
    if tuple(cell.strip() for cell in header) != COLUMNS:  # not shown: it may not be a timeline
        raise TimelineError(f"{name}:1: header must be exactly {','.join(COLUMNS)}")
    events: list[Event] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise TimelineError(f"{name}:{line}: malformed CSV ({error})") from None
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        events.append(_event(row, start, name))
        if len(events) > 1 and month_index(events[-1].month) < month_index(events[-2].month):
            raise TimelineError(
                f"{name}:{start}: column 'month': {events[-1].month} comes after "
                f"{events[-2].month} (line {events[-2].line}); rows must be sorted by month"
            )
    if not events:
        raise TimelineError(f"{name}: no events; the header must be followed by dated rows")
    return Timeline(tuple(events), name)


def _event(row: list[str], line: int, name: str) -> Event:
    """One validated row."""
    if len(row) != len(COLUMNS):
        raise TimelineError(
            f"{name}:{line}: {len(row)} fields; expected {len(COLUMNS)} "
            f"({','.join(COLUMNS)}; quote a field that contains a comma)"
        )
    month, actor, event, description, source = (cell.strip() for cell in row)

    def fail(column: str, problem: str, allowed: tuple[str, ...] | str) -> TimelineError:
        listed = allowed if isinstance(allowed, str) else ", ".join(allowed)
        return TimelineError(f"{name}:{line}: column '{column}': {problem}; allowed: {listed}")

    if not is_month(month):
        raise fail("month", f"{_shown(month)} is not a month", "YYYY-MM, e.g. 2024-09")
    if actor not in ACTORS:
        raise fail("actor", f"unknown actor {_shown(actor)}", ACTORS)
    if event not in EVENTS:
        raise fail("event", f"unknown event {_shown(event)}", EVENTS)
    if actor not in ACTORS_OF_EVENT[event]:
        raise fail("actor", f"{actor!r} cannot take the event {event!r}", ACTORS_OF_EVENT[event])
    if not description:
        raise fail("description", "empty", "a short description of what happened")
    if not source:
        raise fail("source", "empty", "a checkable source (publisher, date, URL)")
    return Event(month, actor, event, description, source, line)


def _shown(cell: str) -> str:
    """A cell for a message: quoted, control characters escaped, at most ``SHOWN_CELL`` long."""
    if len(cell) > SHOWN_CELL:
        return repr(cell[: SHOWN_CELL - 3] + "...")
    return repr(cell)
