"""The escalation ladder: ordered, named rungs, each owned by one side and tied to its source.

In the spirit of Herman Kahn's escalation ladder (*On Escalation*, 1965): a single ordered scale
on which the escalation level of a world at a month is the highest rung in force. The rungs are
structure, not tunable numbers, so they live in code; every rung quotes the passage of the source
article (``../shared/article.txt``, October 2024) or names the source that motivates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Rung(IntEnum):
    """Rungs of the escalation ladder, lowest first."""

    POLITICAL_SUPPORT = 0
    MILITARY_AID = 1
    ADVANCED_WEAPONS = 2
    TRAINING_OUTSIDE = 3
    NUCLEAR_SIGNALLING = 4
    INSTRUCTORS_INSIDE = 5
    DEEP_STRIKES = 6
    HYBRID_ATTACKS = 7
    GROUND_TROOPS = 8
    STRIKES_ON_WESTERN_FORCES = 9
    CONTAINED_CLASH = 10
    DIRECT_CONFLICT = 11
    NUCLEAR_USE_IN_UKRAINE = 12
    NUCLEAR_USE = 13

    @property
    def info(self) -> RungInfo:
        """The rung's label, owner and source."""
        return RUNGS[self]

    @property
    def label(self) -> str:
        """Short human-readable name, as shown on figure axes."""
        return RUNGS[self].label


@dataclass(frozen=True)
class RungInfo:
    """What a rung is, who climbs it and why it is on the ladder."""

    label: str
    owner: str
    source: str


RUNGS: dict[Rung, RungInfo] = {
    Rung.POLITICAL_SUPPORT: RungInfo(
        "Political support & sanctions",
        "West",
        "Article: Macron's UN speech calls Russia's war \"a war of territorial conquest\".",
    ),
    Rung.MILITARY_AID: RungInfo(
        "Military aid",
        "West",
        'Article: allies provide "military aid, intelligence, and logistical support".',
    ),
    Rung.ADVANCED_WEAPONS: RungInfo(
        "Advanced weapons",
        "West",
        'Article: "advanced air defense systems, tanks, and artillery".',
    ),
    Rung.TRAINING_OUTSIDE: RungInfo(
        "Training outside Ukraine",
        "West",
        'Article: France has "trained over 100,000 Ukrainian soldiers since the war began".',
    ),
    Rung.NUCLEAR_SIGNALLING: RungInfo(
        "Russian nuclear signalling",
        "Russia",
        'Article: Moscow warns of "unpredictable consequences"; Russian nuclear alerts and '
        "exercises since February 2022 (e.g. SIPRI Yearbook 2023).",
    ),
    Rung.INSTRUCTORS_INSIDE: RungInfo(
        "Western instructors in Ukraine",
        "West",
        'Article: Le Monde, May 2024: France "in talks with Kyiv to send instructors".',
    ),
    Rung.DEEP_STRIKES: RungInfo(
        "Deep strikes into Russia",
        "West",
        'Article: Macron would "allow Ukraine to strike Russian military bases with long-range '
        'weapons".',
    ),
    Rung.HYBRID_ATTACKS: RungInfo(
        "Russian hybrid attacks on NATO",
        "Russia",
        'Article: opponents fear "potential retaliation against NATO members".',
    ),
    Rung.GROUND_TROOPS: RungInfo(
        "Western ground troops in Ukraine",
        "West",
        'Article: "boots on the ground" would "cross a dangerous threshold".',
    ),
    Rung.STRIKES_ON_WESTERN_FORCES: RungInfo(
        "Russian strikes on Western forces",
        "Russia",
        'Article: troops would be framed "as proof of NATO\'s direct involvement".',
    ),
    Rung.CONTAINED_CLASH: RungInfo(
        "Contained NATO-Russia clash",
        "Both",
        "A military answer kept local, the historical rule: Turkey downs a Russian Su-24 "
        "(Nov 2015), Khasham (Feb 2018).",
    ),
    Rung.DIRECT_CONFLICT: RungInfo(
        "NATO-Russia war",
        "Both",
        'Article: fear that escalation could "drag NATO into direct conflict with Russia".',
    ),
    Rung.NUCLEAR_USE_IN_UKRAINE: RungInfo(
        "Nuclear use in Ukraine",
        "Russia",
        "US officials feared Russian nuclear use in Ukraine if its front collapsed in autumn "
        "2022 (CNN, 9 March 2024); Russian nuclear doctrine, Sep 2024.",
    ),
    Rung.NUCLEAR_USE: RungInfo(
        "Nuclear use against NATO",
        "Russia",
        'Article: "the potential for a broader war in Europe"; Kahn (1965), top of the ladder.',
    ),
}


def rung_labels() -> list[str]:
    """Rung labels in ladder order, for figure axes and tables."""
    return [RUNGS[rung].label for rung in Rung]


#: The outcomes read off the ladder for each replicate: the columns of ``outcomes.csv`` after
#: the sampled assumptions. The model computes them (``escalation.model``); they live here, not
#: there, so that reading results never imports Mesa (half a second).
OUTCOME_COLUMNS = [
    "max_rung",
    "final_rung",
    "direct_conflict",
    "nuclear_use",
    "russian_retaliation",
    "months_to_retaliation",
    "ukraine_position_final",
    "nuclear_signalling",
    "red_lines_crossed",
    "months_to_direct_conflict",
    "escalation_score",
    "contained_clash",
    "nuclear_use_in_ukraine",
    "hybrid_attacks",
    "strikes_on_nato",
    "signalling_months",
    "lethal_engagement",
    "spillover_incidents",
]
