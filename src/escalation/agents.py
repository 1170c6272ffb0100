"""The four actors as Mesa agents. Each advances every Monte Carlo replicate at once.

State variables are numpy arrays with one entry per replicate; a rule is a few array operations
that read like its docstring. Doctrine numbers come from ``conf/`` (see ``docs/MODEL.md``); the
article quoted is ``../shared/article.txt`` (October 2024).

Process order within a month (``EscalationModel.step``): Ukraine, France, NATO, Russia.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from escalation.config import DeepStrikes, Instructors, PerMeasure, Policy, Posture, Timing, Troops
from escalation.ladder import Rung

if TYPE_CHECKING:
    from escalation.model import EscalationModel


class RussianAction(IntEnum):
    """What Russia does in a month; NONE means it took no decision."""

    NONE = 0
    RHETORIC = 1
    NUCLEAR_SIGNALLING = 2
    HYBRID_ATTACKS = 3
    STRIKES_ON_WESTERN_FORCES = 4
    STRIKES_ON_NATO = 5

    @property
    def rung(self) -> int:
        """The ladder rung the action puts in force (-1: none)."""
        return ACTION_RUNGS[self]


ACTION_RUNGS = {
    RussianAction.NONE: -1,
    RussianAction.RHETORIC: -1,
    RussianAction.NUCLEAR_SIGNALLING: int(Rung.NUCLEAR_SIGNALLING),
    RussianAction.HYBRID_ATTACKS: int(Rung.HYBRID_ATTACKS),
    RussianAction.STRIKES_ON_WESTERN_FORCES: int(Rung.STRIKES_ON_WESTERN_FORCES),
    RussianAction.STRIKES_ON_NATO: int(Rung.DIRECT_CONFLICT),
}
RETALIATION = (
    RussianAction.HYBRID_ATTACKS,
    RussianAction.STRIKES_ON_WESTERN_FORCES,
    RussianAction.STRIKES_ON_NATO,
)
#: Attacks NATO may or may not answer (a strike on NATO starts direct conflict by itself).
ANSWERABLE = (RussianAction.HYBRID_ATTACKS, RussianAction.STRIKES_ON_WESTERN_FORCES)


def action_table(values: dict[RussianAction, float | bool], dtype: type, default=0) -> np.ndarray:
    """A lookup table indexed by action code: ``table[actions]`` maps an int8 action array.

    One indexing operation replaces ``np.isin`` or ``np.select`` over the few actions, with the
    same values.
    """
    table = np.full(len(RussianAction), default, dtype=dtype)
    for action, value in values.items():
        table[action] = value
    return table


#: Per action code: whether it is a retaliation / an attack NATO may answer / its ladder rung.
IS_RETALIATION = action_table(dict.fromkeys(RETALIATION, True), bool)
IS_ANSWERABLE = action_table(dict.fromkeys(ANSWERABLE, True), bool)
RUNG_OF_ACTION = action_table(dict(ACTION_RUNGS), np.int64)
#: Options Russia weighs when it decides, in utility-column order (rhetoric is column 0).
OPTIONS = (
    RussianAction.RHETORIC,
    RussianAction.NUCLEAR_SIGNALLING,
    RussianAction.HYBRID_ATTACKS,
    RussianAction.STRIKES_ON_WESTERN_FORCES,
    RussianAction.STRIKES_ON_NATO,
)
TROOP_LEVELS = {Troops.none: 0, Troops.noncombat: 1, Troops.combat: 2}
DEEP_STRIKE_LEVELS = {DeepStrikes.prohibited: 0, DeepStrikes.limited: 1, DeepStrikes.authorized: 2}
#: The ladder rung each Western measure stands on.
WESTERN_RUNGS = PerMeasure(
    aid=Rung.MILITARY_AID,
    advanced_weapons=Rung.ADVANCED_WEAPONS,
    training=Rung.TRAINING_OUTSIDE,
    instructors=Rung.INSTRUCTORS_INSIDE,
    deep_strikes_limited=Rung.DEEP_STRIKES,
    deep_strikes_authorized=Rung.DEEP_STRIKES,
    troops_noncombat=Rung.GROUND_TROOPS,
    troops_combat=Rung.GROUND_TROOPS,
)


def allowed_measures(policy: Policy) -> list[str]:
    """The Western measures a policy ever allows, as ``PerMeasure`` field names."""
    allowed = {
        "aid": policy.aid,
        "advanced_weapons": policy.advanced_weapons,
        "training": policy.instructors is not Instructors.none,
        "instructors": policy.instructors is Instructors.inside,
        "deep_strikes_limited": policy.deep_strikes is DeepStrikes.limited,
        "deep_strikes_authorized": policy.deep_strikes is DeepStrikes.authorized,
        "troops_noncombat": policy.troops is Troops.noncombat,
        "troops_combat": policy.troops is Troops.combat,
    }
    return [name for name, yes in allowed.items() if yes]


def measures_in_force(model: EscalationModel) -> dict[str, np.ndarray]:
    """Whether each Western measure is in force, per replicate, by ``PerMeasure`` field name."""
    nato, france = model.nato, model.france
    return {
        "aid": nato.aid,
        "advanced_weapons": nato.advanced_weapons,
        "training": france.training,
        "instructors": france.instructors_inside,
        "deep_strikes_limited": nato.deep_strikes == 1,
        "deep_strikes_authorized": nato.deep_strikes == 2,
        "troops_noncombat": france.troops == 1,
        "troops_combat": france.troops == 2,
    }


def values_in_force(values: PerMeasure, model: EscalationModel) -> np.ndarray:
    """Each measure's value where it is in force and 0 elsewhere: shape (measures, replicates)."""
    in_force = measures_in_force(model)
    return np.array([np.where(on, getattr(values, name), 0.0) for name, on in in_force.items()])


def max_in_force(values: PerMeasure, model: EscalationModel) -> np.ndarray:
    """``values_in_force(values, model).max(axis=0)``, without building the table.

    Measures in force nowhere add only zeros, so they are skipped; values are non-negative
    (the schema's bounds), so starting from 0 gives the same maximum.
    """
    result = np.zeros(model.replicates)
    for name, on in measures_in_force(model).items():
        if on.any():
            np.maximum(result, np.where(on, getattr(values, name), 0.0), out=result)
    return result


def sum_in_force(values: PerMeasure, model: EscalationModel) -> np.ndarray:
    """``values_in_force(values, model).sum(axis=0)``, without building the table.

    The sum runs over the measures in their order, as numpy's does; a measure in force nowhere
    would add exact zeros, so it is skipped and every sum is bit-for-bit the same.
    """
    total = np.zeros(model.replicates)
    for name, on in measures_in_force(model).items():
        if on.any():
            total += np.where(on, getattr(values, name), 0.0)
    return total


class Actor(mesa.Agent):
    """An actor of the war; ``step`` advances one month for every replicate."""

    model: EscalationModel

    def due(self, timing: Timing) -> np.ndarray:
        """Whether a measure's timing allows it this month, per replicate.

        Rule: from ``timing.month`` on, and only while Ukraine holds less than
        ``timing.position_below`` when that trigger is set (article: France acts "if
        circumstances warrant it").
        """
        model = self.model
        if model.month < timing.month:
            return np.zeros(model.replicates, dtype=bool)
        if timing.position_below is None:
            return np.ones(model.replicates, dtype=bool)
        return model.ukraine.position < timing.position_below


class Ukraine(Actor):
    """Ukraine fights: its position moves with Western measures against Russian pressure."""

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        doctrine = model.settings.doctrine.ukraine
        self.position = np.full(model.replicates, doctrine.position_start, dtype=float)
        self.request = np.zeros(model.replicates, dtype=bool)

    def support(self) -> np.ndarray:
        """Points of territory per month the Western measures in force add, per replicate."""
        effects = self.model.settings.doctrine.ukraine.effects
        total = sum_in_force(effects, self.model)
        return total * self.model.uncertain["measure_effectiveness"]

    def step(self) -> None:
        """Position += Western support - Russian pressure + noise; ask for more once losing.

        Rule: Δposition = effectiveness · Σ effect(measure in force) − pressure + N(0, σ²),
        clipped to [0, 100]. Ukraine requests more once it has lost ``request_drop`` points
        since the start. Article: Ukraine "must be empowered to defend itself".
        """
        model = self.model
        doctrine = model.settings.doctrine.ukraine
        noise = model.rng.normal(0.0, doctrine.position_noise, model.replicates)
        change = self.support() - model.uncertain["russian_pressure"] + noise
        np.clip(self.position + change, 0.0, 100.0, out=self.position)
        self.request = self.position < doctrine.position_start - doctrine.request_drop


class France(Actor):
    """France adopts the instructors and troops its policy allows, when their timing comes.

    Article: "nothing is excluded"; Paris would act "if circumstances warrant it".
    """

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        replicates = model.replicates
        self.training = np.zeros(replicates, dtype=bool)
        self.instructors_inside = np.zeros(replicates, dtype=bool)
        self.troops = np.zeros(replicates, dtype=np.int8)
        self.declared_ceiling = self._declared_ceiling()

    def _declared_ceiling(self) -> float:
        """Highest involvement Russia can expect from the West, given the declared posture.

        Rule: under ``red_lines`` the West publicly excludes every measure its policy never
        allows, so Russia knows the ceiling is the most involving allowed measure; under
        ``ambiguity`` nothing is excluded and the ceiling is the most involving measure of all.
        Article: "We should stop setting red lines and rely on what we call strategic
        ambiguity."
        """
        policy = self.model.settings.policy
        weights = self.model.settings.doctrine.russia.involvement
        if policy.posture is Posture.ambiguity:
            return max(vars(weights).values())
        return max([getattr(weights, name) for name in allowed_measures(policy)], default=0.0)

    def step(self) -> None:
        """Put in force each allowed measure whose timing has come (measures are kept once in).

        Rule: training abroad if ``instructors`` is ``outside`` or ``inside``; instructors in
        Ukraine if ``inside``; troops at the lever's level. Article: France "trained over 100,000
        Ukrainian soldiers"; Le Monde, May 2024, on instructors; troops "not ruled out".
        """
        policy = self.model.settings.policy
        timing = policy.timing
        if policy.instructors is not Instructors.none:
            self.training |= self.due(timing.training)
        if policy.instructors is Instructors.inside:
            self.instructors_inside |= self.due(timing.instructors)
        if policy.troops is not Troops.none:
            deploy = self.due(timing.troops)
            self.troops[deploy] = TROOP_LEVELS[policy.troops]

    @property
    def personnel_in_ukraine(self) -> np.ndarray:
        """Whether Western personnel (instructors or troops) are inside Ukraine."""
        return self.instructors_inside | (self.troops > 0)


class Nato(Actor):
    """NATO, one consensus-bound actor: aid, deep-strike permission, answers to attacks."""

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        replicates = model.replicates
        doctrine = model.settings.doctrine.nato
        self.aid = np.zeros(replicates, dtype=bool)
        self.advanced_weapons = np.zeros(replicates, dtype=bool)
        self.deep_strikes = np.zeros(replicates, dtype=np.int8)
        self.military_response = np.zeros(replicates, dtype=bool)
        self.west_belief = np.full(replicates, doctrine.belief_prior, dtype=float)

    def update_belief(self) -> None:
        """The West learns whether Russia follows through when its red line is crossed.

        Rule: after each Russian decision on a crossed red line, belief += rate · (acted −
        belief), where acted means a retaliation. A red line crossed without response loses
        credibility. Source: PRODUCT.md §3 (beliefs update from what is observed).
        """
        russia = self.model.russia
        observed = russia.decided_on_crossing
        acted = IS_RETALIATION[russia.action]
        rate = self.model.settings.doctrine.nato.learning_rate
        self.west_belief += np.where(observed, rate * (acted - self.west_belief), 0.0)

    def answer_attacks(self, draw: np.ndarray) -> None:
        """Answer last month's Russian attack militarily with p = weight · resolve (capped at 1).

        Rule: a military answer to hybrid attacks or to strikes on Western forces starts direct
        NATO–Russia conflict. Article: fears of "retaliation against NATO members" that could
        "drag NATO into direct conflict with Russia".
        """
        weights = self.model.settings.doctrine.nato.response_weight
        table = action_table(
            {
                RussianAction.HYBRID_ATTACKS: weights.hybrid_attacks,
                RussianAction.STRIKES_ON_WESTERN_FORCES: weights.strikes_on_western_forces,
            },
            float,
        )
        weight = table[self.model.russia.action]
        probability = np.minimum(weight * self.model.uncertain["nato_resolve"], 1.0)
        self.military_response = (draw < probability) & ~self.model.direct_conflict
        self.model.direct_conflict |= self.military_response

    def grant_deep_strikes(self, draw: np.ndarray) -> None:
        """Grant the allowed deep-strike permission when consensus forms this month.

        Rule: p = cohesion · (1 − caution · belief Russia follows through) + boost if Ukraine
        asks, capped to [0, 1]. Article: "deep unease about crossing certain lines, such as
        allowing Ukrainian forces to strike deep inside Russian territory"; Rutte: Ukraine's
        victory "remains a top priority".
        """
        model = self.model
        level = DEEP_STRIKE_LEVELS[model.settings.policy.deep_strikes]
        if level == 0:
            return
        doctrine = model.settings.doctrine.nato
        pending = (self.deep_strikes < level) & self.due(model.settings.policy.timing.deep_strikes)
        probability = np.clip(
            model.uncertain["nato_cohesion"] * (1.0 - doctrine.caution * self.west_belief)
            + doctrine.request_boost * model.ukraine.request,
            0.0,
            1.0,
        )
        self.deep_strikes[pending & (draw < probability)] = level

    def step(self) -> None:
        """Learn from Russia, answer its attacks, keep aid flowing, decide on deep strikes."""
        model = self.model
        policy = model.settings.policy
        answer_draw = model.rng.random(model.replicates)
        consensus_draw = model.rng.random(model.replicates)
        self.update_belief()
        self.answer_attacks(answer_draw)
        if policy.aid:
            self.aid |= self.due(policy.timing.aid)
        if policy.advanced_weapons:
            self.advanced_weapons |= self.due(policy.timing.advanced_weapons)
        self.grant_deep_strikes(consensus_draw)


class Russia(Actor):
    """Russia reads every Western measure as NATO involvement and answers crossed red lines."""

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        replicates = model.replicates
        doctrine = model.settings.doctrine.russia
        self.action = np.zeros(replicates, dtype=np.int8)
        self.decided_on_crossing = np.zeros(replicates, dtype=bool)
        self.red_line_crossed = np.zeros(replicates, dtype=bool)
        self.involvement = np.zeros(replicates, dtype=float)
        self.perceived_involvement = np.zeros(replicates, dtype=float)
        self.russia_belief = np.full(replicates, doctrine.resolve_prior, dtype=float)
        self.rung_in_force = np.full(replicates, -1, dtype=np.int8)
        self.rung_expires = np.zeros(replicates, dtype=np.int32)

    def measure_involvement(self) -> np.ndarray:
        """Involvement = the most involving Western measure in force (proxy-war reading).

        Article: "Russian officials have portrayed the war as a proxy battle between Russia and
        NATO"; troops would be "proof of NATO's direct involvement".
        """
        weights = self.model.settings.doctrine.russia.involvement
        return max_in_force(weights, self.model)

    def perceive(self, involvement: np.ndarray) -> np.ndarray:
        """Perceived involvement = involvement + alarm · (declared ceiling − involvement).

        Rule: Russia also counts a share (``ambiguity_alarm``) of what the West has not excluded.
        Under declared red lines that ceiling is the most the policy allows; under ambiguity
        nothing is excluded, so the same alarm weighs more. Article: strategic ambiguity "avoids
        clearly defined red lines".
        """
        ceiling = self.model.france.declared_ceiling
        alarm = self.model.uncertain["ambiguity_alarm"]
        return involvement + alarm * np.maximum(ceiling - involvement, 0.0)

    def utilities(
        self, perceived: np.ndarray, involvement: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Utility of each option: deterrence gained minus the Western answer expected.

        Rule: U(rhetoric) = 0; U(a) = gain_a · (1 + excess) − κ · provocation_a · ρ · headroom,
        with excess = max(perceived − red line, 0), κ = cost sensitivity, ρ = Russia's belief in
        Western resolve and headroom = 1 + (declared ceiling − involvement): how far the West
        could still climb. Strikes on Western forces gain ``combat_clash_gain`` more when
        Western troops fight. Article: "proof of NATO's direct involvement".

        ``rows``, when given, are the replicates ``perceived`` and ``involvement`` belong to
        (Russia computes utilities only where it decides); the result has one row per entry.
        """
        model = self.model
        doctrine = model.settings.doctrine.russia

        def at(values: np.ndarray) -> np.ndarray:
            return values if rows is None else values[rows]

        excess = np.maximum(perceived - at(model.uncertain["red_line_threshold"]), 0.0)
        headroom = 1.0 + np.maximum(model.france.declared_ceiling - involvement, 0.0)
        sensitivity, belief = at(model.uncertain["cost_sensitivity"]), at(self.russia_belief)
        expected_answer = sensitivity * belief * headroom
        utilities = np.zeros((len(perceived), len(OPTIONS)))
        for column, action in enumerate(OPTIONS[1:], start=1):
            option = getattr(doctrine.responses, action.name.lower())
            utilities[:, column] = option.gain * (1.0 + excess) - (
                option.provocation * expected_answer
            )
        combat = at(model.france.troops) == TROOP_LEVELS[Troops.combat]
        column = OPTIONS.index(RussianAction.STRIKES_ON_WESTERN_FORCES)
        utilities[:, column] += doctrine.combat_clash_gain * combat
        return utilities

    def choose(self, utilities: np.ndarray, available: np.ndarray, draw: np.ndarray):
        """Noisy best response: P(a) ∝ exp(λ · U(a)) over the available options (logit).

        Source: McKelvey & Palfrey (1995), quantal response equilibria.
        """
        rationality = self.model.settings.doctrine.russia.rationality
        scores = np.where(available, rationality * utilities, -np.inf)
        scores -= scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        last_available = len(OPTIONS) - 1 - np.argmax(available[:, ::-1], axis=1)
        index = np.minimum((draw[:, None] > cumulative).sum(axis=1), last_available)
        return np.asarray(OPTIONS, dtype=np.int8)[index]

    def learn_resolve(self) -> None:
        """Russia learns Western resolve from NATO's answer to its last attack.

        Rule: after a hybrid attack or a strike on Western forces, belief += rate · (answered −
        belief). An attack left unanswered emboldens.
        """
        attacked = IS_ANSWERABLE[self.action]
        answered = self.model.nato.military_response
        rate = self.model.settings.doctrine.russia.learning_rate
        self.russia_belief += np.where(attacked, rate * (answered - self.russia_belief), 0.0)

    def step(self) -> None:
        """Perceive, detect crossed red lines, and choose a response by a noisy (logit) choice.

        Rule: Russia decides when involvement rises (a new, more involving Western measure comes
        into force; in month 1, the measures already in force), or (with probability
        ``reconsider``) while its real red line stays crossed. Material options (hybrid attacks,
        strikes) are open only when the red line is crossed and Russia follows through
        (probability ``follow_through``); strikes on Western forces need Western personnel in
        Ukraine; strikes on NATO start direct conflict. Article: "boots on the ground" would
        "cross a dangerous threshold and could lead to unpredictable consequences".
        """
        model = self.model
        doctrine = model.settings.doctrine.russia
        reconsider_draw = model.rng.random(model.replicates)
        follow_draw = model.rng.random(model.replicates)
        choice_draw = model.rng.random(model.replicates)
        nuclear_draw = model.rng.random(model.replicates)

        self.learn_resolve()
        involvement = self.measure_involvement()
        perceived = self.perceive(involvement)
        new_measure = involvement > self.involvement
        crossed = perceived > model.uncertain["red_line_threshold"]
        at_war = model.direct_conflict
        decide = (new_measure | (crossed & (reconsider_draw < doctrine.reconsider))) & ~at_war
        follow = crossed & (follow_draw < model.uncertain["follow_through"])

        # Options are weighed only in the replicates that decide (a few percent of them in a
        # typical month); every other replicate takes no action.
        self.action = np.full(model.replicates, RussianAction.NONE, dtype=np.int8)
        rows = np.flatnonzero(decide)
        if rows.size:
            available = np.ones((rows.size, len(OPTIONS)), dtype=bool)
            for column, action in enumerate(OPTIONS):
                if action in RETALIATION:
                    available[:, column] = follow[rows]
            column = OPTIONS.index(RussianAction.STRIKES_ON_WESTERN_FORCES)
            available[:, column] &= model.france.personnel_in_ukraine[rows]
            utilities = self.utilities(perceived[rows], involvement[rows], rows)
            self.action[rows] = self.choose(utilities, available, choice_draw[rows])
        self.decided_on_crossing = decide & crossed
        self.red_line_crossed = new_measure & crossed & ~at_war
        self.involvement, self.perceived_involvement = involvement, perceived
        model.direct_conflict |= self.action == RussianAction.STRIKES_ON_NATO
        self._put_in_force(doctrine.response_months)
        model.nuclear_use |= model.direct_conflict & (
            nuclear_draw < model.uncertain["nuclear_use_in_conflict"]
        )

    def _put_in_force(self, months: int) -> None:
        """A response stays on the ladder for ``months`` months unless a higher one replaces it."""
        new_rung = RUNG_OF_ACTION[self.action]
        expired = self.rung_expires < self.model.month
        replace = (new_rung >= 0) & ((new_rung >= self.rung_in_force) | expired)
        self.rung_in_force = np.where(replace, new_rung, np.where(expired, -1, self.rung_in_force))
        self.rung_expires = np.where(replace, self.model.month + months - 1, self.rung_expires)
