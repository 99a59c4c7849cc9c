"""Every kind of event the flow records and the keys each may carry: the contract the weekly
reports count by.

Why a table: a report column is a SQL count over `events` by kind and key. A kind or a key renamed
in one module and not in the report would not fail anything, it would silently count zero; with
this table, `Turn.log` refuses any kind or key not listed, and a test pins the table, so a rename
is a visible change in one place.

No key may hold a card number, a name, a phone number or a platform id (see `FlowEvent`).
"""

EVENT_KINDS: dict[str, frozenset[str]] = {
    "session_started": frozenset({"source"}),  # "direct", "link" (a village's link), "return"
    "consent_given": frozenset(),
    "consent_declined": frozenset(),
    "village_set": frozenset(),
    "step_reached": frozenset({"step"}),  # 1-5
    "stuck": frozenset({"step"}),
    "card_checked": frozenset({"valid", "reason", "source"}),  # the outcome only; source "photo"
    "photo_unread": frozenset({"reason"}),  # a photo without a card's QR: what it was instead
    "outcome": frozenset({"outcome", "cause"}),  # submitted, approved, rejected, ...
    "video_shown": frozenset(),
    "signature_interest": frozenset(),
    "faq_viewed": frozenset({"entry"}),
    "handoff_requested": frozenset({"step"}),
    "data_erased": frozenset(),
    "group_guide_shown": frozenset(),
    "group_number_warned": frozenset(),
    "group_photo_warned": frozenset(),
    "group_linked": frozenset(),
    "refused": frozenset({"command"}),  # an officer-only command, or an invite used up
    "role_granted": frozenset({"role"}),  # an invite made the person an officer or a volunteer
    # a volunteer's door-to-door tally (counts only; a correction is the last entry negated)
    "door_tally": frozenset(
        {
            "helped",
            "linked",
            "no_phone",
            "no_level2",
            "mismatch",
            "expired",
            "other",
            "signature",
            "correction",
        }
    ),
}


class EventError(ValueError):
    """An event kind or key outside the contract: a bug in the flow, caught where it is made."""


def check_event(kind: str, keys: set[str]) -> None:
    allowed = EVENT_KINDS.get(kind)
    if allowed is None:
        raise EventError(f"unknown event kind {kind!r}: add it to flows/events.py")
    if extra := keys - allowed:
        raise EventError(f"event {kind!r} has no key {sorted(extra)!r}: see flows/events.py")
