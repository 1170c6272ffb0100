"""Russia: reads Western measures as NATO involvement, holds red lines, believes, and chooses.

Each month Russia weighs its options by a noisy (logit) best response (McKelvey & Palfrey 1995).
It acts on its own as well as in reaction: every option has a baseline appeal, raised by two
motives (docs/MODEL.md §7.5):

- the *warning* motive: new Western measures (each registers, with a memory), perceived
  involvement above the red line, Ukrainian advances, incursions and drone strikes;
- the *material* motive: perceived involvement above a red line that Russia enforces in this
  replicate (probability ``follow_through``), and the same battlefield setbacks.

The expected Western answer uses Russia's beliefs about resolve (``ResolveBeliefs``) for attacks
below Article 5, and fixed, declared commitments for nuclear use and for an attack on NATO
territory, which is a separate decision that the posture on Ukraine does not enter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from escalation.config.schema import Posture, Troops
from escalation.model.actions import (
    IS_RETALIATION,
    RUNG_OF_ACTION,
    THEATRE_OPTIONS,
    RussianAction,
)
from escalation.model.beliefs import ResolveBeliefs
from escalation.model.measures import TROOP_LEVELS, levels_in_force, weighted_sum
from escalation.model.west import WAR

if TYPE_CHECKING:
    from escalation.model.world import EscalationModel


class Russia(mesa.Agent):
    """Russia's reading of the war, its beliefs and its monthly choice, per replicate."""

    model: EscalationModel

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        replicates = model.replicates
        doctrine = model.settings.doctrine.russia
        uncertain = model.uncertain
        self.beliefs = ResolveBeliefs(
            doctrine.resolve_prior,
            self.belief_width(),
            doctrine.prior_strength,
            uncertain["ambiguity_aversion"],
        )
        self.enforces = model.rng.random(replicates) < uncertain["follow_through"]
        self.ceiling = model.france.ceiling()
        self.action = np.zeros(replicates, dtype=np.int8)
        self.retaliation = np.zeros(replicates, dtype=bool)
        self.new_stimulus = np.zeros(replicates)
        self.last_rise = np.zeros(replicates)
        self.rose = np.zeros(replicates, dtype=bool)
        self.mobilised = np.zeros(replicates)
        self.involvement = self.measure_involvement()
        self.perceived_involvement = self.perceive(self.involvement)
        self.reference = self.war_reference()
        self.crossed = np.zeros(replicates, dtype=bool)
        self.red_line_crossed = np.zeros(replicates, dtype=bool)
        self.rung_in_force = np.full(replicates, -1, dtype=np.int8)
        self.rung_expires = np.zeros(replicates, dtype=np.int32)

    def war_reference(self) -> tuple[np.ndarray, np.ndarray]:
        """Proxy-war reference = involvement in force when the war began (Feb 2022, timeline.csv).

        Rule: what is in force at ``sim.start`` (measured, perceived) less what the dated record
        (``timeline.csv``) adds from the war's first month to ``sim.start``, so the grievance
        counts all Western involvement since the invasion and a forward run continues the
        replay's pressure. Article: "From the outset of the conflict, Russian officials have
        portrayed the war as a proxy battle between Russia and NATO".
        """
        since_war_began = self.model.involvement_before_start
        return (
            self.involvement - since_war_began,
            self.perceived_involvement - since_war_began,
        )

    def belief_width(self) -> np.ndarray:
        """Half-width of Russia's set of beliefs under France's declared posture, per replicate.

        Rule: ``ambiguity_width`` (swept) under strategic ambiguity, ``red_lines_width`` under
        declared red lines. Article: "We should stop setting red lines and rely on what we call
        strategic ambiguity."
        """
        model = self.model
        if model.france.posture is Posture.ambiguity:
            return np.broadcast_to(model.uncertain["ambiguity_width"], (model.replicates,))
        width = model.settings.doctrine.russia.red_lines_width
        return np.full(model.replicates, width)

    def read_posture(self) -> None:
        """A new declared posture re-shapes Russia's set of beliefs and the ceiling it fears."""
        self.beliefs.set_width(self.belief_width())
        self.ceiling = self.model.france.ceiling()

    @property
    def resolve_belief(self) -> np.ndarray:
        """The Western resolve Russia acts on (α-maxmin over its set of beliefs)."""
        return self.beliefs.acted_on

    def measure_involvement(self) -> np.ndarray:
        """Involvement = Σ involvement(measure) · level: every Western measure registers.

        Article: "Russian officials have portrayed the war as a proxy battle between Russia and
        NATO"; the weapons raised "questions about whether NATO is already on the path to deeper
        involvement"; troops would be "proof of NATO's direct involvement".
        """
        weights = self.model.settings.doctrine.russia.involvement
        return weighted_sum(weights, levels_in_force(self.model)) + np.zeros(self.model.replicates)

    def perceive(self, involvement: np.ndarray) -> np.ndarray:
        """Perceived = involvement + alarm · r_α · (ceiling − involvement).

        Rule: Russia also counts what the West has not excluded and may still do, as likely as
        it believes the West resolute. Under declared red lines the ceiling is what the policy
        allows; under ambiguity nothing is excluded. Article: strategic ambiguity "avoids
        clearly defined red lines".
        """
        alarm = self.model.uncertain["ambiguity_alarm"]
        gap = np.maximum(self.ceiling - involvement, 0.0)
        return involvement + alarm * self.resolve_belief * gap

    def learn(self) -> None:
        """Bayes, prior by prior: an answered attack is a success, an unanswered one a failure.

        Rule: after a hybrid attack or a strike on Western forces last month, NATO's military
        answer this month (or its absence) updates every prior of the set; restraint after a
        provocation lowers Russia's estimate of Western resolve. New measures count as
        ``measure_evidence`` successes per unit of involvement (a resolute West adds measures).
        """
        model = self.model
        provoked = np.isin(
            self.action,
            (RussianAction.HYBRID_ATTACKS, RussianAction.STRIKES_ON_WESTERN_FORCES),
        )
        answered = model.nato.military_response & provoked
        self.beliefs.observe(answered.astype(float), (provoked & ~answered).astype(float))

    def motives(self, involvement: np.ndarray, perceived: np.ndarray) -> tuple:
        """The warning and material motives this month, in log-odds (module docstring).

        The growth part is the standing proxy-war pressure, ``involvement`` · (perceived
        involvement above ``war_reference``): all that the West has added since the war began.
        The new-measure part is ``new_stimulus``: new_measure · (rise of perceived involvement
        last month: a new measure, or a declared posture that leaves more unexcluded) + memory ·
        last month's value, updated in ``step``. Russia answers a step the month after it (a
        decision lag: New START suspended in February 2023 after the January tank pledges).

        Returns:
            ``(warning, material, material_real)``: the last uses real, not perceived,
            involvement, for the decision on NATO territory.
        """
        model = self.model
        stimuli = model.settings.doctrine.russia.stimuli
        ukraine = model.ukraine
        threshold = model.uncertain["red_line_threshold"]
        setback = (
            stimuli.advance * ukraine.advance
            + stimuli.incursion * ukraine.incursion
            + stimuli.domestic_strikes * ukraine.domestic_strikes
        )
        excess = stimuli.crossing * np.maximum(perceived - threshold, 0.0)
        real_excess = stimuli.crossing * np.maximum(involvement - threshold, 0.0)
        start, start_perceived = self.reference
        growth = stimuli.involvement * np.maximum(perceived - start_perceived, 0.0)
        real_growth = stimuli.involvement * np.maximum(involvement - start, 0.0)
        warning = self.new_stimulus + growth + excess + setback
        material = growth + self.enforces * excess + setback
        material_real = real_growth + self.enforces * real_excess + setback
        return warning, material, material_real

    def utilities(self, warning: np.ndarray, material: np.ndarray) -> np.ndarray:
        """Utility of each option in ``THEATRE_OPTIONS``; doing nothing new is 0.

        Rule: U(a) = base_a + warn_gain_a · warning + act_gain_a · material − κ · provocation_a
        · answer_a, where answer_a is the resolve Russia acts on (r_α) for attacks below
        Article 5 and ``nuclear_answer`` for nuclear use. Strikes on Western forces gain
        ``combat_clash_gain`` more per unit of material motive when Western troops fight.
        """
        model = self.model
        doctrine = model.settings.doctrine.russia
        cost = model.uncertain["cost_sensitivity"]
        resolve = self.resolve_belief
        utilities = np.zeros((model.replicates, len(THEATRE_OPTIONS)))
        for column, action in enumerate(THEATRE_OPTIONS[1:], start=1):
            option = getattr(doctrine.responses, action.name.lower())
            answer = (
                doctrine.nuclear_answer
                if action is RussianAction.NUCLEAR_USE_IN_UKRAINE
                else resolve
            )
            act_gain = option.act_gain
            if action is RussianAction.STRIKES_ON_WESTERN_FORCES:
                combat = model.france.troops == TROOP_LEVELS[Troops.combat]
                act_gain = act_gain + doctrine.combat_clash_gain * combat
            utilities[:, column] = (
                option.base
                + option.warn_gain * warning
                + act_gain * material
                - cost * option.provocation * answer
            )
        return utilities

    def available(self) -> np.ndarray:
        """Which options are open, per replicate and option.

        Strikes on Western forces need Western personnel in Ukraine; nuclear use in Ukraine
        needs Russia's front to be collapsing (``Ukraine.collapse``).
        """
        model = self.model
        open_ = np.ones((model.replicates, len(THEATRE_OPTIONS)), dtype=bool)
        column = THEATRE_OPTIONS.index(RussianAction.STRIKES_ON_WESTERN_FORCES)
        open_[:, column] = model.france.personnel_in_ukraine
        column = THEATRE_OPTIONS.index(RussianAction.NUCLEAR_USE_IN_UKRAINE)
        open_[:, column] = model.ukraine.collapse
        return open_

    def choose(self, utilities: np.ndarray, available: np.ndarray, draw: np.ndarray) -> np.ndarray:
        """Noisy best response: P(a) ∝ exp(λ · U(a)) over the available options (logit)."""
        probabilities = self.probabilities(utilities, available)
        cumulative = np.cumsum(probabilities, axis=1)
        last_available = len(THEATRE_OPTIONS) - 1 - np.argmax(available[:, ::-1], axis=1)
        index = np.minimum((draw[:, None] > cumulative).sum(axis=1), last_available)
        return np.asarray(THEATRE_OPTIONS, dtype=np.int8)[index]

    def probabilities(self, utilities: np.ndarray, available: np.ndarray) -> np.ndarray:
        """Logit choice probabilities, one row per replicate, zero where an option is closed."""
        rationality = self.model.settings.doctrine.russia.rationality
        scores = np.where(available, rationality * utilities, -np.inf)
        scores -= scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        return weights / weights.sum(axis=1, keepdims=True)

    def strike_nato(self, material_real: np.ndarray, draw: np.ndarray) -> np.ndarray:
        """The separate decision to strike NATO territory, against Article 5.

        Rule: P = logistic(λ · (base + act_gain · material motive on real involvement − κ ·
        provocation · ``article5_answer``)). Neither Russia's beliefs about Western resolve on
        Ukraine nor the declared posture enter: Article 5 answers an attack on a member's
        territory whatever the posture (North Atlantic Treaty, Article 5).
        """
        model = self.model
        doctrine = model.settings.doctrine.russia
        option = doctrine.responses.strikes_on_nato
        utility = (
            option.base
            + option.act_gain * material_real
            - model.uncertain["cost_sensitivity"]
            * option.provocation
            * model.settings.doctrine.nato.article5_answer
        )
        return draw < 1.0 / (1.0 + np.exp(-doctrine.rationality * utility))

    def step(self) -> None:
        """Learn, read the West, and choose this month's action (none while at war).

        Rules: involvement is measured against what was in force last month (at the start,
        against what was in force at ``sim.start``: no measure is new in month 1); a red line is
        crossed when perceived involvement rises above the threshold; a material action taken
        while the line is crossed, in a replicate where Russia enforces it, is retaliation.
        Article: "boots on the ground" would "cross a dangerous threshold and could lead to
        unpredictable consequences". After each collapse of its front Russia mobilises: its
        pressure rises by ``mobilisation`` points a month (partial mobilisation after the Kharkiv
        collapse, 21 September 2022).
        """
        model = self.model
        choice_draw = model.rng.random(model.replicates)
        nato_draw = model.rng.random(model.replicates)
        nuclear_draw = model.rng.random(model.replicates)

        self.learn()
        involvement = self.measure_involvement()
        new = np.maximum(involvement - self.involvement, 0.0)
        self.rose = new > 0
        doctrine = model.settings.doctrine.russia
        self.beliefs.observe(doctrine.measure_evidence * new, np.zeros(model.replicates))
        perceived = self.perceive(involvement)
        stimuli = doctrine.stimuli
        self.new_stimulus = (
            stimuli.new_measure * self.last_rise + stimuli.memory * self.new_stimulus
        )
        self.last_rise = np.maximum(perceived - self.perceived_involvement, 0.0)
        warning, material, material_real = self.motives(involvement, perceived)
        crossed = perceived > model.uncertain["red_line_threshold"]
        at_war = model.conflict == WAR

        action = self.choose(self.utilities(warning, material), self.available(), choice_draw)
        action[self.strike_nato(material_real, nato_draw)] = RussianAction.STRIKES_ON_NATO
        action[at_war] = RussianAction.NONE
        self.action = action
        self.retaliation = IS_RETALIATION[action] & crossed & self.enforces
        self.red_line_crossed = crossed & ~self.crossed
        self.crossed = crossed
        self.involvement, self.perceived_involvement = involvement, perceived
        model.nuclear_use_in_ukraine |= action == RussianAction.NUCLEAR_USE_IN_UKRAINE
        model.nuclear_use_on_nato |= at_war & (
            nuclear_draw < model.uncertain["nuclear_use_in_conflict"]
        )
        self.mobilised += model.settings.doctrine.russia.mobilisation * model.ukraine.collapse_onset
        self._put_in_force(model.settings.doctrine.russia.response_months)

    def _put_in_force(self, months: int) -> None:
        """A response stays on the ladder for ``months`` months unless a higher one replaces it."""
        new_rung = RUNG_OF_ACTION[self.action]
        expired = self.rung_expires < self.model.month
        replace = (new_rung >= 0) & ((new_rung >= self.rung_in_force) | expired)
        self.rung_in_force = np.where(replace, new_rung, np.where(expired, -1, self.rung_in_force))
        self.rung_expires = np.where(replace, self.model.month + months - 1, self.rung_expires)
