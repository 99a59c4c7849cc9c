"""The steps table: for every question, the function that asks it, the one that takes a chosen
option, and (where typing means more than choosing) the one that reads free text.

This table is data; `steps.mmd` beside it draws the same graph for people, and a test checks the
diagram names every step. Step functions live in modules named for their part of the
conversation.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flows import card_dialog, faq, guide, handoff, menu, onboarding, outcome, signature, volunteer
from flows.matching import Strictness
from flows.model import GUIDE_STEPS, Step
from flows.turn import Turn


@dataclass(frozen=True, slots=True)
class StepSpec:
    """How one step behaves. Its `strictness` says how much it reads into an everyday answer
    (consent does not take "xong"; erasing and "the success screen appeared" take no "ok" and no
    near miss); `reads_cards` when its own reader takes a card number before the general
    pre-check does."""

    ask: Callable[[Turn], None]
    answer: Callable[[Turn, str], None]
    typed: Callable[[Turn, str], bool] | None = None
    strictness: Strictness = Strictness.NORMAL
    reads_cards: bool = False


def _no_option(turn: Turn, name: str) -> None:
    """A question answered by typing only (the tally's numbers): it offers no option."""


_PREREQUISITE = StepSpec(guide.ask_prerequisite, guide.answer_prerequisite)
_PREREQUISITE_HELP = StepSpec(guide.ask_prerequisite_help, guide.answer_prerequisite_help)
_GUIDE = StepSpec(guide.ask_guide_step, guide.answer_guide_step)

STEPS: dict[Step, StepSpec] = {
    Step.CONSENT: StepSpec(onboarding.ask_consent, onboarding.answer_consent, strictness=Strictness.CONSENT),
    Step.VILLAGE_CONFIRM: StepSpec(
        onboarding.ask_village_confirm, onboarding.answer_village_confirm, onboarding.village_typed
    ),
    Step.AREA: StepSpec(onboarding.ask_area, onboarding.answer_area, onboarding.village_typed),
    Step.VILLAGE: StepSpec(onboarding.ask_village, onboarding.answer_village, onboarding.village_typed),
    Step.MENU: StepSpec(menu.ask_menu, menu.open_item),
    Step.PRE_APP: _PREREQUISITE,
    Step.PRE_APP_HELP: _PREREQUISITE_HELP,
    Step.PRE_LEVEL2: _PREREQUISITE,
    Step.PRE_LEVEL2_HELP: _PREREQUISITE_HELP,
    Step.PRE_CARD: _PREREQUISITE,
    Step.PRE_CARD_HELP: _PREREQUISITE_HELP,
    **dict.fromkeys(GUIDE_STEPS[:-1], _GUIDE),
    Step.GUIDE_5: StepSpec(guide.ask_guide_step, guide.answer_guide_step, strictness=Strictness.FIRM),
    Step.FAIL_WHICH: StepSpec(guide.ask_failure, guide.answer_failure),
    Step.STUCK: StepSpec(guide.ask_stuck, guide.answer_stuck),
    Step.STUCK_ANSWER: StepSpec(guide.ask_stuck_answer, guide.answer_stuck_answer),
    Step.CARD_ASK: StepSpec(
        card_dialog.ask_card, card_dialog.answer_card, card_dialog.card_typed, reads_cards=True
    ),
    Step.CARD_DONE: StepSpec(card_dialog.ask_card_done, card_dialog.answer_card_done),
    Step.RESULT: StepSpec(outcome.ask_result, outcome.answer_result),
    Step.REJECT_CAUSE: StepSpec(outcome.ask_reject_cause, outcome.answer_reject_cause),
    Step.SIGNATURE: StepSpec(signature.ask_signature, signature.answer_signature),
    Step.FAQ: StepSpec(faq.ask_faq, faq.answer_faq),
    Step.FAQ_ANSWER: StepSpec(faq.ask_faq_answer, faq.answer_faq_answer),
    Step.FAQ_PICK: StepSpec(faq.ask_pick, faq.answer_pick),
    Step.NOT_FOUND: StepSpec(faq.ask_not_found, faq.answer_not_found),
    Step.HANDOFF_OFFER: StepSpec(
        handoff.ask_handoff_offer, handoff.answer_handoff_offer, strictness=Strictness.CONSENT
    ),
    Step.ERASE_CONFIRM: StepSpec(menu.ask_erase, menu.answer_erase, strictness=Strictness.FIRM),
    Step.HANDOFF_MESSAGE: StepSpec(
        handoff.ask_handoff_message,
        handoff.answer_handoff_message,
        handoff.typed_handoff_message,
        reads_cards=True,
    ),
    Step.TALLY_VILLAGE: StepSpec(volunteer.ask_tally_village, volunteer.answer_tally_village),
    Step.TALLY_HELPED: StepSpec(volunteer.ask_tally_helped, _no_option, volunteer.typed_helped),
    Step.TALLY_LINKED: StepSpec(volunteer.ask_tally_linked, _no_option, volunteer.typed_linked),
    Step.TALLY_REASONS: StepSpec(volunteer.ask_tally_reasons, _no_option, volunteer.typed_reasons),
    Step.TALLY_SIGNATURE: StepSpec(volunteer.ask_tally_signature, _no_option, volunteer.typed_signature),
}
