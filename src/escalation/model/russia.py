"""Russia: reads Western measures as NATO involvement, holds red lines, believes, and chooses.

Each month Russia decides on each of its options by a noisy (logit) best response against doing
nothing new (McKelvey & Palfrey 1995), so it may signal and sabotage in the same month (model v3,
docs/MODEL.md §7.5). It acts on its own as well as in reaction: every option has a baseline
appeal, raised by its motive:

- the *warning* motive (signalling): new Western measures (each registers, with a memory), all
  that the West has added since the war began, perceived involvement above the red line,
  Ukrainian advances, incursions and drone strikes;
- the *campaign* motive (the baseline hybrid campaign): what the West has added since the war
  began, and the same battlefield setbacks;
- the *crossing* (retaliation, a decision of its own): perceived involvement above a red line
  that Russia enforces in this replicate (probability ``follow_through``).

The expected Western answer uses Russia's beliefs about resolve (``ResolveBeliefs``), learnt
from the West's answers to its tests, for attacks below Article 5, and fixed, declared
commitments for nuclear use and for an attack on NATO territory, which is a separate decision
that the posture on Ukraine does not enter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from escalation.config.schema import Troops
from escalation.model.actions import RUNG_OF_MASK, THEATRE_OPTIONS, RussianAction, action_mask
from escalation.model.beliefs import ResolveBeliefs
from escalation.model.measures import TROOP_LEVELS, levels_in_force, weighted_sum
from escalation.model.west import WAR

if TYPE_CHECKING:
    from escalation.model.world import EscalationModel

#: Which motive each option acts on (``Russia.motives``): the baseline hybrid campaign does not
#: answer a crossed red line; retaliation answers nothing else.
MOTIVE_OF_OPTION = {
    RussianAction.NUCLEAR_SIGNALLING: "material",
    RussianAction.HYBRID_ATTACKS: "campaign",
    RussianAction.RETALIATION: "crossing",
    RussianAction.STRIKES_ON_WESTERN_FORCES: "material",
    RussianAction.NUCLEAR_USE_IN_UKRAINE: "material",
}


class Russia(mesa.Agent):
    """Russia's reading of the war, its beliefs and its monthly choice, per replicate."""

    model: EscalationModel

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        replicates = model.replicates
        doctrine = model.doctrine.russia
        uncertain = model.uncertain
        self.beliefs = ResolveBeliefs(
            doctrine.resolve_prior,
            self.belief_width(),
            doctrine.prior_strength,
            uncertain["ambiguity_aversion"],
        )
        self.enforces = model.uniform() < uncertain["follow_through"]
        self.ceiling = model.france.ceiling()
        self.action = np.zeros(replicates, dtype=np.int16)
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

        Rule: Russia is built in the record's first month (a forward run first replays the
        record up to ``sim.start``, ``EscalationModel``), so the reference is what was in force
        then (measured, perceived), never the levers of a forward run: a measure in force in a
        forward run's month 1 is new. A replay that starts later than its timeline subtracts what
        the record added before its start. Article: "From the outset of the conflict, Russian
        officials have portrayed the war as a proxy battle between Russia and NATO".
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
        ambiguity = np.broadcast_to(model.uncertain["ambiguity_width"], (model.replicates,))
        return np.where(model.france.ambiguity, ambiguity, model.doctrine.russia.red_lines_width)

    def read_posture(self, changed: np.ndarray | None = None) -> None:
        """A new declared posture re-shapes Russia's set of beliefs and the ceiling it fears.

        Args:
            changed: The replicates whose posture changed (None: all).
        """
        self.beliefs.set_width(self.belief_width(), changed)
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
        weights = self.model.doctrine.russia.involvement
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
        """Bayes, prior by prior, from tests: an answered test is a success, restraint a failure.

        Rule: a *testing* act last month (a kinetic incursion, retaliation, a strike on Western
        forces: ``Nato.tests``) met by a NATO military answer this month counts as one success
        for every prior of the set, left unanswered as one failure. A stray missile or drone on
        a member's territory (``Nato.spillover``) shot down or not counts as ``spillover_evidence``
        of one. Sabotage met by the police is no evidence: no government answers sabotage
        militarily, whatever its resolve (the review of model v2, §1.2).
        """
        model = self.model
        nato = model.nato
        answered = nato.military_response & nato.tests
        self.beliefs.observe(answered.astype(float), (nato.tests & ~answered).astype(float))
        weight = model.doctrine.russia.spillover_evidence
        shot = nato.spillover & nato.spillover_answered
        self.beliefs.observe(weight * shot, weight * (nato.spillover & ~shot))

    def motives(self, involvement: np.ndarray, perceived: np.ndarray) -> dict[str, np.ndarray]:
        """This month's motives, in log-odds (module docstring).

        The growth part is the standing proxy-war pressure, ``involvement`` · (perceived
        involvement above ``war_reference``, the war's first month): all that the West has added
        since the war began, whatever the levers. The new-measure part is ``new_stimulus``:
        new_measure · (rise of perceived involvement last month) + memory · last month's value.
        Russia answers a step the month after it (New START suspended in February 2023 after
        the January tank pledges).

        Returns:
            ``warning`` (signalling: new measures, growth, excess over the red line, setbacks);
            ``campaign`` (the baseline hybrid campaign: growth and setbacks, not the crossing);
            ``crossing`` (perceived involvement above the red line, in replicates where Russia
            enforces it: retaliation's motive); ``material`` (campaign + crossing, for strikes
            on Western forces and nuclear use in Ukraine); ``material_real`` (the same on real,
            not perceived, involvement, for the decision on NATO territory).
        """
        model = self.model
        stimuli = model.doctrine.russia.stimuli
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
        campaign = growth + setback
        crossing = self.enforces * excess
        return {
            "warning": self.new_stimulus + growth + excess + setback,
            "campaign": campaign,
            "crossing": crossing,
            "material": campaign + crossing,
            "material_real": real_growth + setback + self.enforces * real_excess,
        }

    def utilities(self, motives: dict[str, np.ndarray]) -> np.ndarray:
        """Utility of each option in ``THEATRE_OPTIONS`` against doing nothing new (0).

        Rule: U(a) = base_a + warn_gain_a · warning + act_gain_a · motive_a − κ · provocation_a
        · answer_a, where motive_a is the campaign motive for hybrid attacks, the crossing for
        retaliation and the material motive (both) for the others; answer_a is the resolve
        Russia acts on (r_α) for attacks below Article 5 and ``nuclear_answer`` for nuclear use.
        Strikes on Western forces gain ``combat_clash_gain`` more per unit of material motive
        when Western troops fight.
        """
        model = self.model
        doctrine = model.doctrine.russia
        cost = model.uncertain["cost_sensitivity"]
        resolve = self.resolve_belief
        utilities = np.zeros((len(THEATRE_OPTIONS), model.replicates))
        for row, action in enumerate(THEATRE_OPTIONS):
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
            utilities[row] = (
                option.base
                + option.warn_gain * motives["warning"]
                + act_gain * motives[MOTIVE_OF_OPTION[action]]
                - cost * option.provocation * answer
            )
        return utilities

    def available(self, crossed: np.ndarray) -> np.ndarray:
        """Which options are open, per option and replicate.

        Retaliation needs a red line crossed in a replicate where Russia enforces it; strikes on
        Western forces need Western personnel in Ukraine; nuclear use in Ukraine needs Russia's
        front to be collapsing (``Ukraine.collapse``). Nothing is open during a NATO-Russia war.
        """
        model = self.model
        open_ = np.broadcast_to(model.conflict != WAR, (len(THEATRE_OPTIONS), model.replicates))
        open_ = open_.copy()
        open_[THEATRE_OPTIONS.index(RussianAction.RETALIATION)] &= crossed & self.enforces
        row = THEATRE_OPTIONS.index(RussianAction.STRIKES_ON_WESTERN_FORCES)
        open_[row] &= model.france.personnel_in_ukraine
        open_[THEATRE_OPTIONS.index(RussianAction.NUCLEAR_USE_IN_UKRAINE)] &= model.ukraine.collapse
        return open_

    def probabilities(self, utilities: np.ndarray, available: np.ndarray) -> np.ndarray:
        """P(option this month) = logistic(λ · U), one decision per option; 0 where closed."""
        rationality = self.model.doctrine.russia.rationality
        return np.where(available, 1.0 / (1.0 + np.exp(-rationality * utilities)), 0.0)

    def strike_nato(self, material_real: np.ndarray, draw: np.ndarray) -> np.ndarray:
        """The separate decision to strike NATO territory, against Article 5.

        Rule: P = logistic(λ · (base + act_gain · material motive on real involvement − κ ·
        provocation · ``article5_answer``)). Neither Russia's beliefs about Western resolve on
        Ukraine nor the declared posture enter: Article 5 answers an attack on a member's
        territory whatever the posture (North Atlantic Treaty, Article 5).
        """
        model = self.model
        doctrine = model.doctrine.russia
        option = doctrine.responses.strikes_on_nato
        utility = (
            option.base
            + option.act_gain * material_real
            - model.uncertain["cost_sensitivity"]
            * option.provocation
            * model.doctrine.nato.article5_answer
        )
        return draw < 1.0 / (1.0 + np.exp(-doctrine.rationality * utility))

    def nuclear_hazard_in_war(self) -> np.ndarray:
        """Monthly chance of Russian nuclear use against NATO in the t-th month of a war.

        Rule: ``nuclear_use_in_conflict`` · (1 + ``war_escalation`` · (t − 1)), at most 1: the
        longer Russia fights NATO's conventional forces, the more it loses and the nearer its
        doctrine's threshold ("when the very existence of the state is in jeopardy", Basic
        Principles of State Policy on Nuclear Deterrence, 2020); Metaculus Pro Forecasters
        (24 Mar 2022): after a direct attack, "likely" both sides use nuclear weapons.
        """
        model = self.model
        growth = model.doctrine.nato.conflict.war_escalation
        months = np.maximum(model.war_months - 1, 0)
        return np.minimum(model.uncertain["nuclear_use_in_conflict"] * (1 + growth * months), 1.0)

    def step(self) -> None:
        """Learn, read the West, and decide on each option this month (nothing while at war).

        Rules: involvement is measured against what was in force last month, so every measure
        that comes into force registers, in month 1 too; a red line is crossed when perceived
        involvement rises above the threshold; retaliation is Russia's own decision, open only
        while a line it enforces is crossed. Article: "boots on the ground" would "cross a
        dangerous threshold and could lead to unpredictable consequences". After each collapse
        of its front Russia mobilises: its pressure rises by ``mobilisation`` points a month
        (partial mobilisation after the Kharkiv collapse, 21 September 2022).
        """
        model = self.model
        choice_draws = model.uniform(len(THEATRE_OPTIONS))
        nato_draw = model.uniform()
        nuclear_draw = model.uniform()

        self.learn()
        involvement = self.measure_involvement()
        new = np.maximum(involvement - self.involvement, 0.0)
        self.rose = new > 0
        doctrine = model.doctrine.russia
        self.beliefs.observe(doctrine.measure_evidence * new, np.zeros(model.replicates))
        perceived = self.perceive(involvement)
        stimuli = doctrine.stimuli
        self.new_stimulus = (
            stimuli.new_measure * self.last_rise + stimuli.memory * self.new_stimulus
        )
        self.last_rise = np.maximum(perceived - self.perceived_involvement, 0.0)
        motives = self.motives(involvement, perceived)
        crossed = perceived > model.uncertain["red_line_threshold"]
        at_war = model.conflict == WAR

        probabilities = self.probabilities(self.utilities(motives), self.available(crossed))
        chosen = dict(zip(THEATRE_OPTIONS, choice_draws < probabilities, strict=True))
        chosen[RussianAction.STRIKES_ON_NATO] = (
            self.strike_nato(motives["material_real"], nato_draw) & ~at_war
        )
        self.action = action_mask(chosen, model.replicates)
        self.retaliation = chosen[RussianAction.RETALIATION]
        self.red_line_crossed = crossed & ~self.crossed
        self.crossed = crossed
        self.involvement, self.perceived_involvement = involvement, perceived
        model.nuclear_use_in_ukraine |= chosen[RussianAction.NUCLEAR_USE_IN_UKRAINE]
        model.war_months = np.where(at_war, model.war_months + 1, 0)
        model.nuclear_use_on_nato |= at_war & (nuclear_draw < self.nuclear_hazard_in_war())
        self.mobilised += doctrine.mobilisation * model.ukraine.collapse_onset
        self._put_in_force(doctrine.response_months)

    def _put_in_force(self, months: int) -> None:
        """A response stays on the ladder for ``months`` months unless a higher one replaces it."""
        new_rung = RUNG_OF_MASK[self.action]
        expired = self.rung_expires < self.model.month
        replace = (new_rung >= 0) & ((new_rung >= self.rung_in_force) | expired)
        self.rung_in_force = np.where(replace, new_rung, np.where(expired, -1, self.rung_in_force))
        self.rung_expires = np.where(replace, self.model.month + months - 1, self.rung_expires)
