"""The West: NATO as an ``AgentSet`` of member governments, France among them with its own rules.

Each member decides on the use of its own long-range weapons inside Russia (as the US did on
30 May and 17 November 2024) and answers attacks on its own territory or forces below Article 5
on its own. The collective answer is Article 5's: an attack on a member's territory meets it
whatever the posture on Ukraine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from escalation.config.schema import Member
from escalation.model.actions import RussianAction, has
from escalation.model.measures import (
    EXCLUSIVE,
    MEASURES,
    allowed_levels,
    most_possible_levels,
    weighted_sum,
)

if TYPE_CHECKING:
    from escalation.model.world import EscalationModel

NO_CONFLICT, CLASH, WAR = 0, 1, 2
"""States of NATO-Russia hostilities, per replicate (``EscalationModel.conflict``)."""


def due(model: EscalationModel, measure: str) -> np.ndarray:
    """Whether a measure's timing allows it this month, per replicate.

    Rule: from ``timing.month`` on (month 1 is ``sim.start``: measures due then are in force
    from the start), and only while Ukraine holds less than ``timing.position_below`` when that
    trigger is set (article: France acts "if circumstances warrant it"); never once withdrawn.
    Each replicate follows its own policy's timing (``model.levers``).
    """
    levers = model.levers
    on = (max(model.month, 1) >= levers.month[measure]) & ~withdrawn(model, measure)
    return on & (model.ukraine.position < levers.position_below[measure])


def withdrawn(model: EscalationModel, measure: str) -> np.ndarray:
    """Whether a measure is withdrawn this month, per replicate: from ``timing.until`` on.

    Rule: a withdrawn measure is out of force whoever put it in force, the policy or the record
    (model v3; the West's measures could only be added in model v2); never in a replay.
    """
    if model.replaying:
        return np.zeros(model.replicates, dtype=bool)
    return model.month >= model.levers.until[measure]


class NatoMember(mesa.Agent):
    """A member government: its caution and its own deep-strike permission, per replicate."""

    model: EscalationModel

    def __init__(self, model: EscalationModel, name: str, member: Member) -> None:
        super().__init__(model)
        self.name = name
        self.caution = member.caution
        self.strike_share = member.strike_share
        self.deep_strikes = np.zeros(model.replicates, dtype=np.int8)
        # The monthly hazard of each permission level (none, limited, authorised).
        self.hazards = np.array([0.0, *model.permission_hazards[name]])

    def decide_deep_strikes(self, draw: np.ndarray) -> None:
        """Permit strikes inside Russia with its own weapons, up to what the policy allows.

        Rule: each month a pending permission is granted with p = h · cohesion · (1 +
        ``request_boost`` while Ukraine asks for more), where h is this member's monthly hazard
        for that level fitted to the 2022-24 record (``permission_hazards``: the US, Germany and
        France granted limited strikes in May 2024, the 28th month; nobody granted strikes
        deep into Russia), times (1 − caution · b) / (1 − caution · b₀), where b is the West's
        belief that Russia follows through and b₀ its value at ``sim.start`` (the record's
        hazards hold as long as Russia's conduct confirms what the West believed; a step met by
        restraint emboldens cautious members). Permissions above what the policy allows are
        revoked in month 1, all of them from ``timing.deep_strikes.until``.
        Article: "deep unease about crossing certain lines, such as allowing Ukrainian forces to
        strike deep inside Russian territory"; "some leaders remain wary".
        """
        model = self.model
        if model.replaying:
            return
        level = np.where(withdrawn(model, "deep_strikes"), 0, model.levers.deep_strikes)
        np.minimum(self.deep_strikes, level, out=self.deep_strikes)  # what the policy forbids
        if not level.any() or self.strike_share == 0:
            return
        doctrine = model.doctrine.nato
        pending = (self.deep_strikes < level) & due(model, "deep_strikes")
        hazard = self.hazards[level]
        nato = model.nato
        start = np.maximum(1 - self.caution * nato.belief_at_start, 0.05)
        wariness = (1 - self.caution * nato.west_belief) / start
        probability = np.minimum(
            hazard
            * model.uncertain["nato_cohesion"]
            * (1 + doctrine.request_boost * model.ukraine.request)
            * wariness,
            1.0,
        )
        granted = pending & (draw < probability)
        self.deep_strikes[granted] = level[granted]

    def step(self) -> None:
        """Decide on this member's deep-strike permission."""
        self.decide_deep_strikes(self.model.uniform())


class France(NatoMember):
    """France adopts the instructors and troops its policy allows and declares the posture.

    Article: "nothing is excluded"; Paris would act "if circumstances warrant it"; "We should
    stop setting red lines and rely on what we call strategic ambiguity."
    """

    def __init__(self, model: EscalationModel, name: str, member: Member) -> None:
        super().__init__(model, name, member)
        replicates = model.replicates
        self.training = np.zeros(replicates, dtype=bool)
        self.instructors_inside = np.zeros(replicates, dtype=bool)
        self.troops = np.zeros(replicates, dtype=np.int8)
        # Whether France declares strategic ambiguity (else red lines), per replicate: its
        # policy's, which a replay's posture events change.
        self.ambiguity = model.levers.ambiguity.copy()

    def ceiling(self) -> np.ndarray:
        """The most involvement Russia must reckon with, given the declared posture.

        Rule: under ``red_lines`` the West publicly excludes every measure its policy never
        allows, so the ceiling is the involvement of all allowed measures; under ``ambiguity``
        nothing is excluded and the ceiling is that of every measure at its highest (and at
        least what the policy allows). The new weapon systems in force count in both: they are
        not excluded, they are there. While the record drives the West (a replay, or a forward
        run's warm-up) the levers do not apply: under red lines Russia reads no more than is in
        force (the ceiling is 0, below any involvement), under ambiguity every measure at its
        highest.
        """
        model = self.model
        involvement = model.doctrine.russia.involvement
        if model.replaying:
            # the record's West: red lines exclude what it has not done, ambiguity nothing
            allowed = dict.fromkeys(MEASURES, 0.0)
        else:
            levers = model.levers
            allowed = allowed_levels(levers, len(model.settings.policy.new_weapons))
            recorded = float(model.nato.recorded_weapons.max(initial=0))
            # advanced weapons not allowed: the record's systems are withdrawn in month 1
            allowed["new_weapons"] = allowed["new_weapons"] + levers.advanced_weapons * recorded
        most = most_possible_levels() | {"new_weapons": allowed["new_weapons"]}
        levels = {k: np.maximum(most[k], allowed[k]) for k in most}
        for lower, higher in EXCLUSIVE:
            levels[lower] = np.where(levels[higher] != 0, 0.0, levels[lower])  # at its highest
        return np.where(
            self.ambiguity, weighted_sum(involvement, levels), weighted_sum(involvement, allowed)
        )

    def adopt(self) -> None:
        """Put in force each allowed measure whose timing has come (kept once in force).

        Rule: training abroad if ``instructors`` is ``outside`` or ``inside``; instructors in
        Ukraine if ``inside``; troops at the lever's level. The levers are the policy from
        ``sim.start``: a measure of the record they do not allow is withdrawn in month 1
        (``instructors: none`` ends the record's training). Article: France "trained over 100,000
        Ukrainian soldiers"; Le Monde, May 2024, on instructors; troops "not ruled out".
        """
        model = self.model
        if model.replaying:
            return
        levers = model.levers
        self.training &= levers.instructors > 0
        self.training |= (levers.instructors > 0) & due(model, "training")
        self.training &= ~withdrawn(model, "training")
        self.instructors_inside &= levers.instructors == 2
        self.instructors_inside |= (levers.instructors == 2) & due(model, "instructors")
        self.instructors_inside &= ~withdrawn(model, "instructors")
        arrive = due(model, "troops")
        self.troops[arrive] = levers.troops[arrive]
        self.troops[(levers.troops == 0) | withdrawn(model, "troops")] = 0

    def step(self) -> None:
        """Adopt what the policy allows, then decide on its own deep-strike permission."""
        self.adopt()
        super().step()

    @property
    def personnel_in_ukraine(self) -> np.ndarray:
        """Whether Western personnel (instructors or troops) are inside Ukraine."""
        return self.instructors_inside | (self.troops > 0)


class Nato:
    """The alliance: its members (a Mesa ``AgentSet``), alliance-wide aid and its answers.

    Args:
        model: The model.
        members: The member agents, France among them.
    """

    def __init__(self, model: EscalationModel, members: list[NatoMember]) -> None:
        self.model = model
        self.members = mesa.agent.AgentSet(members, random=model.random)
        self.cautions = np.array([member.caution for member in members])
        replicates = model.replicates
        doctrine = model.doctrine.nato
        self.aid = np.zeros(replicates, dtype=bool)
        self.advanced_weapons = np.zeros(replicates, dtype=bool)
        self.new_weapons = np.zeros(replicates, dtype=np.int16)
        self.recorded_weapons = np.zeros(replicates, dtype=np.int16)
        self.tests = np.zeros(replicates, dtype=bool)
        self.spillover = np.zeros(replicates, dtype=bool)
        self.spillover_answered = np.zeros(replicates, dtype=bool)
        self.lethal = np.zeros(replicates, dtype=bool)
        names = [member.name for member in members]
        self.targets = _target_table(doctrine.targets, names)
        self.military_response = np.zeros(replicates, dtype=bool)
        self.law_enforcement_response = np.zeros(replicates, dtype=bool)
        self.article5_response = np.zeros(replicates, dtype=bool)
        self.west_belief = np.full(replicates, doctrine.belief_prior, dtype=float)
        self.belief_at_start = self.west_belief.copy()

    def strike_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """Share of long-range strike weapons cleared for limited / for deep strikes."""
        replicates = self.model.replicates
        limited, authorized = np.zeros(replicates), np.zeros(replicates)
        for member in self.members:
            limited += member.strike_share * (member.deep_strikes == 1)
            authorized += member.strike_share * (member.deep_strikes == 2)
        return limited, authorized

    def supply(self) -> None:
        """Keep aid and advanced weapons flowing and deliver new weapon systems on their months.

        Rules: the systems of the record (``recorded_weapons``, in force at ``sim.start``) stay,
        and ``policy.new_weapons`` adds one on each of its months; from ``timing.aid.until`` aid
        stops, from ``timing.advanced_weapons.until`` advanced weapons and every new system stop
        (deliveries end; model v3); ``aid: false`` or ``advanced_weapons: false`` withdraws the
        record's in month 1. Article: allies provide "military aid, intelligence, and
        logistical support" and "advanced air defense systems, tanks, and artillery".
        """
        model = self.model
        if model.replaying:
            return
        levers = model.levers
        self.aid = (self.aid | due(model, "aid")) & levers.aid
        self.advanced_weapons = self.advanced_weapons | due(model, "advanced_weapons")
        self.advanced_weapons &= levers.advanced_weapons
        new_weapons = model.settings.policy.new_weapons
        delivered = sum(month <= max(model.month, 1) for month in new_weapons)
        self.new_weapons[:] = self.recorded_weapons + delivered
        self.aid &= ~withdrawn(model, "aid")
        stopped = ~levers.advanced_weapons | withdrawn(model, "advanced_weapons")
        self.advanced_weapons &= ~stopped
        self.new_weapons[stopped] = 0

    def update_belief(self) -> None:
        """The West learns whether Russia follows through when the West takes a new step.

        Rule: after each month in which Western involvement rose, belief += rate · (Russia
        retaliated, struck Western forces or NATO that month − belief); its baseline hybrid
        campaign is not following through. The West sees its own steps and Russia's acts, not
        Russia's hidden red line; a step met by restraint makes Russian threats less credible.
        """
        russia = self.model.russia
        observed = russia.rose
        acted = observed & (
            has(russia.action, RussianAction.RETALIATION)
            | has(russia.action, RussianAction.STRIKES_ON_WESTERN_FORCES)
            | has(russia.action, RussianAction.STRIKES_ON_NATO)
        )
        rate = self.model.doctrine.nato.learning_rate
        self.west_belief += np.where(observed, rate * (acted - self.west_belief), 0.0)

    def answer_attacks(self, draws: np.ndarray) -> None:
        """Answer last month's Russian attacks and this month's spill-over; force starts a clash.

        Rules (a kinetic act, deliberate or stray, hits one frontline member, drawn by the
        ``targets`` weights from the 2022-24 incidents; sabotage is met by the police wherever
        it happens):
        - a hybrid operation is a kinetic incursion into the member's airspace with p =
          ``kinetic_share``, otherwise sabotage, arson or a plot, met by law enforcement (every
          attributed operation of 2022-24 in the timeline);
        - a kinetic incursion or retaliation is answered militarily by the member hit with p =
          weight · resolve · (1 − its caution) (Turkey, Nov 2015); both are *tests* of resolve;
        - strikes on French forces are answered by France with p = weight · resolve · (1 −
          France's caution), also a test;
        - a stray Russian missile or drone lands on a member's territory with p =
          ``spillover_rate`` a month (accidents of the war in Ukraine, not Russian decisions);
          the member fires on it, or on its launchers, with p = ``response_weight.spillover`` ·
          resolve · (1 − caution), which Russia observes; only when the stray weapon killed
          (p = ``spillover_lethal``, Przewodów, Nov 2022) is that fire a military answer that
          starts a clash;
        - a strike on NATO territory meets Article 5 with p = ``article5_answer`` whatever the
          posture, which is NATO-Russia war at once with p = ``article5_war``.
        ``resolve`` is the West's true resolve, drawn per replicate (``western_resolve``). A
        military answer to a deliberate attack kills with p = ``lethal_clash``.
        """
        model = self.model
        doctrine = model.doctrine.nato
        weight = doctrine.response_weight
        action = model.russia.action
        resolve = model.uncertain["western_resolve"]
        kind, target, answer, war, spill, lethal, fire, deadly_draw = draws
        hybrid = has(action, RussianAction.HYBRID_ATTACKS)
        kinetic = hybrid & (kind < doctrine.kinetic_share)
        retaliation = has(action, RussianAction.RETALIATION)
        forces = has(action, RussianAction.STRIKES_ON_WESTERN_FORCES)
        on_nato = has(action, RussianAction.STRIKES_ON_NATO)
        frontline_caution = self.cautions[np.searchsorted(self.targets, target, side="right")]
        not_at_war = model.conflict < WAR
        # one answer draw per month: the most provocative act of the month is the one answered
        tested = np.where(
            kinetic | retaliation, weight.kinetic_incursions * (1 - frontline_caution), 0.0
        )
        tested = np.where(
            forces, weight.strikes_on_western_forces * (1 - model.france.caution), tested
        )
        self.tests = (kinetic | retaliation | forces) & not_at_war
        answered = self.tests & (answer < tested * resolve)
        self.spillover = spill < doctrine.spillover_rate
        self.spillover &= not_at_war  # during a war, strays are part of it
        fires = fire < weight.spillover * resolve * (1 - frontline_caution)
        self.spillover_answered = self.spillover & fires
        deadly = self.spillover_answered & (deadly_draw < doctrine.spillover_lethal)
        article5 = on_nato & not_at_war & (answer < doctrine.article5_answer)
        self.law_enforcement_response = hybrid & ~kinetic
        self.military_response = answered | deadly
        self.article5_response = article5
        self.lethal = (answered & (lethal < doctrine.conflict.lethal_clash)) | forces | on_nato
        clash = self.military_response | article5
        model.conflict[clash] = np.maximum(model.conflict[clash], CLASH)
        model.conflict[article5 & (war < doctrine.conflict.article5_war)] = WAR

    def conflict_course(self, grow_draw: np.ndarray, end_draw: np.ndarray) -> None:
        """A clash grows into direct conflict or ends; direct conflict ends.

        Rules: each month a clash becomes direct conflict with p = ``clash_escalation`` or else
        ends with p = ``clash_end``; direct conflict ends with p = ``war_end``. Contained clashes
        are the historical rule (Turkey's Su-24, 2015; Khasham, 2018); ICB: about one crisis in
        six reaches full-scale war.
        """
        model = self.model
        conflict = model.doctrine.nato.conflict
        clash = model.conflict == CLASH
        grows = clash & (grow_draw < conflict.clash_escalation)
        ends = clash & ~grows & (end_draw < conflict.clash_end)
        war_ends = (model.conflict == WAR) & (end_draw < conflict.war_end)
        model.conflict[grows] = WAR
        model.conflict[ends | war_ends] = NO_CONFLICT

    def step(self) -> None:
        """Learn from Russia, let hostilities run their course, answer attacks, supply Ukraine."""
        model = self.model
        answer_draws = model.uniform(8)
        grow_draw = model.uniform()
        end_draw = model.uniform()
        self.update_belief()
        self.conflict_course(grow_draw, end_draw)
        self.answer_attacks(answer_draws)
        self.supply()


def _target_table(weights: dict[str, float], names: list[str]) -> np.ndarray:
    """Cumulative target shares in member order, for ``np.searchsorted`` with a uniform draw.

    Members without a weight get none: ``np.searchsorted(table, u, side="right")`` maps a
    draw u in [c[i-1], c[i]) to member i, an empty interval for a member with no weight.
    """
    shares = np.array([weights.get(name, 0.0) for name in names], dtype=float)
    cumulative = np.cumsum(shares / shares.sum())
    cumulative[-1] = 1.0
    return cumulative
