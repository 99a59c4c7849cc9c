"""The database schema, as sqlite-utils migrations: applied in order, each once, recorded in the
database itself, so `python -m bot migrate` and every start are idempotent. Never edit a released
migration; add a new one."""

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("vneid-helper")


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    """Tables of ARCHITECTURE.md. No table has a column for a card number, name or phone.

    Every message writes a few rows and each index it touches is another page to write, so there
    are only the indexes a query needs; the delivery index holds only replies still to send (the
    web chat's replies, answered in the HTTP response, never enter it).
    """
    db["conversations"].create(
        {
            "channel": str,
            "chat_key": str,
            "user_key": str,
            "state": str,
            "updated_at": str,
            "expires_at": str,
        },
        pk=("channel", "chat_key"),
    )
    db["people"].create(
        {
            "channel": str,
            "user_key": str,
            "person_ref": str,
            "role": str,
            "village": str,
            "consent": int,
            "opted_out": int,
            "last_seen": str,
        },
        pk=("channel", "user_key"),
        defaults={"role": "resident", "opted_out": 0},
    )
    db["inbox"].create(
        {"id": int, "channel": str, "chat_key": str, "external_id": str, "received_at": str}, pk="id"
    )
    db["inbox"].create_index(["channel", "chat_key", "external_id"], unique=True)
    db["outbox"].create(
        {
            "id": int,
            "channel": str,
            "chat_key": str,
            "inbound_id": int,
            "reply": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "created_at": str,
            "sent_at": str,
            "error": str,
        },
        pk="id",
        defaults={"attempts": 0},
    )
    db.execute(
        "CREATE INDEX idx_outbox_pending ON outbox (channel, next_attempt_at) WHERE status = 'pending'"
    )
    db["outbox"].create_index(["channel", "chat_key"])
    db["events"].create(
        {"id": int, "at": str, "channel": str, "kind": str, "village": str, "person": str, "data": str},
        pk="id",
    )
    db["events"].create_index(["village", "at"])
    db["events"].create_index(["kind", "at"])
    db["villages"].create(
        {
            "code": str,
            "name": str,
            "area": str,
            "commune": str,
            "province": str,
            "aliases": str,
            "population": int,
            "target": int,
        },
        pk="code",
    )
    db["dead_letters"].create(
        {"id": int, "at": str, "channel": str, "chat_key": str, "error": str, "payload": str}, pk="id"
    )


@MIGRATIONS()
def m002_expiry(db: Database) -> None:
    """Conversations expire on their own clock (`expires_at`: a day without consent, the
    retention period with it), so the purge finds them by an index; rows written before this
    migration have none and go by their last message, as before."""
    db["conversations"].create_index(["expires_at"])


@MIGRATIONS()
def m003_push_channels(db: Database) -> None:
    """Group chats have a conversation too (the village the group is linked to, no person in
    it): it lives by its own expiry, not by the per-person retention period. A sent reply keeps
    the platform's id of its message (an id, never the text)."""
    db["conversations"].add_column("chat_type", str, not_null_default="private")
    db["outbox"].add_column("platform_ref", str)


@MIGRATIONS()
def m004_office(db: Database) -> None:
    """What the VHXH office's reports and roles need.

    - `idx_events_report` covers every column a report reads, ordered by time, so a week's
      counts read only that week's index entries; it replaces the two indexes no query used.
    - `report_spans`: the counts of closed weeks, kept once no late message can land in them.
    - `report_pushes`: the weeks whose report went to the officers (the primary key is what makes
      the Wednesday push happen once per week, also across restarts).
    - `roles`: who is an officer or a volunteer, by platform id (staff, not residents; erased
      with the person's other rows), and `invites`: one-time codes, kept only as a hash.
    """
    db.execute("DROP INDEX IF EXISTS idx_events_village_at")
    db.execute("DROP INDEX IF EXISTS idx_events_kind_at")
    db.execute("CREATE INDEX idx_events_report ON events (at, village, kind, data, person)")
    db["report_spans"].create(
        {"start": str, "end": str, "village": str, "counts": str}, pk=("start", "end", "village")
    )
    db["report_pushes"].create({"week": str, "at": str}, pk="week")
    db["roles"].create(
        {"channel": str, "user_key": str, "role": str, "villages": str, "granted_at": str},
        pk=("channel", "user_key"),
    )
    db["invites"].create(
        {
            "code_hash": str,
            "role": str,
            "villages": str,
            "created_at": str,
            "expires_at": str,
            "used_at": str,
        },
        pk="code_hash",
    )


@MIGRATIONS()
def m005_wakes(db: Database) -> None:
    """The flow's own timers: `wake_at` is copied from the state, so the sweeper finds what is
    due by an index holding only the conversations that have one; `opted_out` is the one field
    that says "send nothing unprompted" (the person said "dừng", or blocked the helper)."""
    db["conversations"].add_column("wake_at", str)
    db["conversations"].add_column("opted_out", int, not_null_default=0)
    db.execute("CREATE INDEX idx_conversations_wake ON conversations (wake_at) WHERE wake_at IS NOT NULL")


@MIGRATIONS()
def m006_tickets(db: Database) -> None:
    """A resident's request for a person: where to answer them (their chat), the village, the
    step they were at and their short message (numbers masked; emptied when the ticket closes),
    and when it was opened, first answered, escalated to the officers and closed."""
    db["tickets"].create(
        {
            "id": int,
            "channel": str,
            "chat_key": str,
            "village": str,
            "step": str,
            "message": str,
            "opened_at": str,
            "answered_at": str,
            "escalated_at": str,
            "closed_at": str,
        },
        pk="id",
    )
    db.execute("CREATE INDEX idx_tickets_waiting ON tickets (opened_at) WHERE answered_at IS NULL")
    db["tickets"].create_index(["channel", "chat_key"])
