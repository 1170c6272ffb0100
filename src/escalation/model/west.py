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

from escalation.config.schema import Instructors, Member, Posture, Timing, Troops
from escalation.model.actions import IS_RETALIATION, RussianAction
from escalation.model.measures import (
    DEEP_STRIKE_LEVELS,
    TROOP_LEVELS,
    allowed_levels,
    most_possible_levels,
    weighted_sum,
)

if TYPE_CHECKING:
    from escalation.model.world import EscalationModel

NO_CONFLICT, CLASH, WAR = 0, 1, 2
"""States of NATO-Russia hostilities, per replicate (``EscalationModel.conflict``)."""


def due(model: EscalationModel, timing: Timing) -> np.ndarray:
    """Whether a measure's timing allows it this month, per replicate.

    Rule: from ``timing.month`` on (month 1 is ``sim.start``: measures due then are in force
    from the start), and only while Ukraine holds less than ``timing.position_below`` when that
    trigger is set (article: France acts "if circumstances warrant it").
    """
    if max(model.month, 1) < timing.month:
        return np.zeros(model.replicates, dtype=bool)
    if timing.position_below is None:
        return np.ones(model.replicates, dtype=bool)
    return model.ukraine.position < timing.position_below


class NatoMember(mesa.Agent):
    """A member government: its caution and its own deep-strike permission, per replicate."""

    model: EscalationModel

    def __init__(self, model: EscalationModel, name: str, member: Member) -> None:
        super().__init__(model)
        self.name = name
        self.caution = member.caution
        self.strike_share = member.strike_share
        self.deep_strikes = np.zeros(model.replicates, dtype=np.int8)

    def decide_deep_strikes(self, draw: np.ndarray) -> None:
        """Permit strikes inside Russia with its own weapons, up to what the policy allows.

        Rule: each month a pending permission is granted with p = cohesion · (1 − caution ·
        the West's belief that Russia follows through) + boost if Ukraine asks, in [0, 1].
        Article: "deep unease about crossing certain lines, such as allowing Ukrainian forces to
        strike deep inside Russian territory"; "some leaders remain wary".
        """
        model = self.model
        level = DEEP_STRIKE_LEVELS[model.settings.policy.deep_strikes]
        if level == 0 or model.replaying:
            return
        doctrine = model.settings.doctrine.nato
        pending = (self.deep_strikes < level) & due(
            model, model.settings.policy.timing.deep_strikes
        )
        probability = np.clip(
            model.uncertain["nato_cohesion"] * (1.0 - self.caution * model.nato.west_belief)
            + doctrine.request_boost * model.ukraine.request,
            0.0,
            1.0,
        )
        self.deep_strikes[pending & (draw < probability)] = level

    def step(self) -> None:
        """Decide on this member's deep-strike permission."""
        self.decide_deep_strikes(self.model.rng.random(self.model.replicates))


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
        self.posture = model.settings.policy.posture

    def ceiling(self) -> float:
        """The most involvement Russia must reckon with, given the declared posture.

        Rule: under ``red_lines`` the West publicly excludes every measure its policy never
        allows, so the ceiling is the involvement of all allowed measures; under ``ambiguity``
        nothing is excluded and the ceiling is that of every measure at its highest (and at
        least what the policy allows).
        """
        policy = self.model.settings.policy
        involvement = self.model.settings.doctrine.russia.involvement
        allowed = allowed_levels(policy)
        if self.posture is Posture.ambiguity:
            most = most_possible_levels()
            return float(weighted_sum(involvement, {k: max(most[k], allowed[k]) for k in most}))
        return float(weighted_sum(involvement, allowed))

    def adopt(self) -> None:
        """Put in force each allowed measure whose timing has come (kept once in force).

        Rule: training abroad if ``instructors`` is ``outside`` or ``inside``; instructors in
        Ukraine if ``inside``; troops at the lever's level. Article: France "trained over 100,000
        Ukrainian soldiers"; Le Monde, May 2024, on instructors; troops "not ruled out".
        """
        model = self.model
        if model.replaying:
            return
        policy = model.settings.policy
        timing = policy.timing
        if policy.instructors is not Instructors.none:
            self.training |= due(model, timing.training)
        if policy.instructors is Instructors.inside:
            self.instructors_inside |= due(model, timing.instructors)
        if policy.troops is not Troops.none:
            self.troops[due(model, timing.troops)] = TROOP_LEVELS[policy.troops]

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
        doctrine = model.settings.doctrine.nato
        self.aid = np.zeros(replicates, dtype=bool)
        self.advanced_weapons = np.zeros(replicates, dtype=bool)
        self.new_weapons = np.zeros(replicates, dtype=np.int16)
        self.military_response = np.zeros(replicates, dtype=bool)
        self.law_enforcement_response = np.zeros(replicates, dtype=bool)
        self.article5_response = np.zeros(replicates, dtype=bool)
        self.west_belief = np.full(replicates, doctrine.belief_prior, dtype=float)

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

        Article: allies provide "military aid, intelligence, and logistical support" and "advanced
        air defense systems, tanks, and artillery"; ``policy.new_weapons`` lists the months new
        systems arrive (HIMARS, tanks, ATACMS, F-16s in ``history``).
        """
        model = self.model
        if model.replaying:
            return
        policy = model.settings.policy
        if policy.aid:
            self.aid |= due(model, policy.timing.aid)
        if policy.advanced_weapons:
            self.advanced_weapons |= due(model, policy.timing.advanced_weapons)
        delivered = sum(month <= max(model.month, 1) for month in policy.new_weapons)
        self.new_weapons[:] = delivered

    def update_belief(self) -> None:
        """The West learns whether Russia follows through when the West takes a new step.

        Rule: after each month in which Western involvement rose, belief += rate · (Russia
        acted materially that month − belief). The West sees its own steps and Russia's acts,
        not Russia's hidden red line; a step met by restraint makes Russian threats less
        credible.
        """
        russia = self.model.russia
        observed = russia.rose
        acted = IS_RETALIATION[russia.action] & observed
        rate = self.model.settings.doctrine.nato.learning_rate
        self.west_belief += np.where(observed, rate * (acted - self.west_belief), 0.0)

    def answer_attacks(
        self, draw: np.ndarray, war_draw: np.ndarray, target: np.ndarray, kind: np.ndarray
    ) -> None:
        """Answer last month's Russian attack; only a military answer starts a clash.

        Rules: a hybrid operation hits one member (each equally likely) and is a kinetic
        incursion into its airspace with p = ``kinetic_share`` (Russian drones over Poland,
        Sep 2025), otherwise sabotage, arson or a plot, which the member answers by law
        enforcement (arrests, charges, expulsions: every attributed operation of 2022-24 in
        the timeline); the member answers an incursion militarily with p = weight · resolve ·
        (1 − its caution) (Turkey, Nov 2015; Poland with allied jets, Sep 2025); strikes on
        French forces are answered by France alone with p = weight · resolve · (1 − France's
        caution); a strike on NATO territory meets the collective answer of Article 5 with p =
        ``article5_answer`` whatever the posture (North Atlantic Treaty, Article 5), which is
        direct conflict at once with probability ``article5_war``. ``resolve`` is the West's true
        resolve, drawn per replicate (``western_resolve``).
        """
        model = self.model
        doctrine = model.settings.doctrine.nato
        action = model.russia.action
        resolve = model.uncertain["western_resolve"]
        probability = np.zeros(model.replicates)
        hybrid = action == RussianAction.HYBRID_ATTACKS
        kinetic = hybrid & (kind < doctrine.kinetic_share)
        target_caution = self.cautions[(target * len(self.cautions)).astype(int)]
        probability[kinetic] = (
            doctrine.response_weight.kinetic_incursions
            * resolve[kinetic]
            * (1 - target_caution[kinetic])
        )
        forces = action == RussianAction.STRIKES_ON_WESTERN_FORCES
        probability[forces] = (
            doctrine.response_weight.strikes_on_western_forces
            * resolve[forces]
            * (1 - model.france.caution)
        )
        on_nato = action == RussianAction.STRIKES_ON_NATO
        probability[on_nato] = doctrine.article5_answer
        answered = (draw < probability) & (model.conflict < WAR)
        self.law_enforcement_response = hybrid & ~kinetic
        self.military_response = answered & ~on_nato
        self.article5_response = answered & on_nato
        model.conflict[answered] = np.maximum(model.conflict[answered], CLASH)
        to_war = self.article5_response & (war_draw < doctrine.conflict.article5_war)
        model.conflict[to_war] = WAR

    def conflict_course(self, grow_draw: np.ndarray, end_draw: np.ndarray) -> None:
        """A clash grows into direct conflict or ends; direct conflict ends.

        Rules: each month a clash becomes direct conflict with p = ``clash_escalation`` or else
        ends with p = ``clash_end``; direct conflict ends with p = ``war_end``. Contained clashes
        are the historical rule (Turkey's Su-24, 2015; Khasham, 2018; drones downed over Poland,
        Sep 2025); ICB: about one crisis in six reaches full-scale war.
        """
        model = self.model
        conflict = model.settings.doctrine.nato.conflict
        clash = model.conflict == CLASH
        grows = clash & (grow_draw < conflict.clash_escalation)
        ends = clash & ~grows & (end_draw < conflict.clash_end)
        war_ends = (model.conflict == WAR) & (end_draw < conflict.war_end)
        model.conflict[grows] = WAR
        model.conflict[ends | war_ends] = NO_CONFLICT

    def step(self) -> None:
        """Learn from Russia, let hostilities run their course, answer attacks, supply Ukraine."""
        model = self.model
        answer_draw = model.rng.random(model.replicates)
        war_draw = model.rng.random(model.replicates)
        grow_draw = model.rng.random(model.replicates)
        end_draw = model.rng.random(model.replicates)
        target_draw = model.rng.random(model.replicates)
        kind_draw = model.rng.random(model.replicates)
        self.update_belief()
        self.conflict_course(grow_draw, end_draw)
        self.answer_attacks(answer_draw, war_draw, target_draw, kind_draw)
        self.supply()
