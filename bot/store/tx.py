"""Named database operations, run inside one transaction on the writer thread.

Everything outside `bot/store/` calls these methods and gets plain data back; no other module
builds SQL. Rows hold ids, readable events, the flow state and the replies still to deliver (their
text is cleared once delivered or given up): never a typed message, a card number, a name or a
phone number.
"""

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A reply to deliver. `withheld`: nobody asked for it (a reminder, a push, a relayed
    answer: queued without an inbound message) and its chat has opted out, so it must not go."""

    id: int
    channel: str
    chat_key: str
    reply: dict[str, Any]
    attempts: int
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class Saved:
    """A conversation's row after the person's message: the state as of `at`, kept until
    `expires_at` (counted from that message: the retention period with consent, a day without;
    a group's, a year), the flow's next wake-up, and whether nothing may be sent unprompted
    (a person who writes again has unblocked the helper, so a 403's opt-out ends)."""

    state: str
    at: str
    expires_at: str
    chat_type: str = "private"
    wake_at: str | None = None
    opted_out: bool = False


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Tx:
    """The operations available to a job; the writer runs each job inside its group commit."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- conversations -----------------------------------------------------------------------

    def claim_inbound(
        self, channel: str, chat_key: str, external_id: str, at: str, seen_since: str
    ) -> int | None:
        """Records an inbound id; None when it was seen since `seen_since` (a duplicate delivery).
        An id seen only before that is a new message: Telegram restarts its update ids at random
        after a week without updates, so an old id can come back for a different message."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO inbox (channel, chat_key, external_id, received_at) VALUES (?, ?, ?, ?)",
            [channel, chat_key, external_id, at],
        )
        if cursor.rowcount:
            return cursor.lastrowid
        reused = self.db.execute(
            "UPDATE inbox SET received_at = ? WHERE channel = ? AND chat_key = ? AND external_id = ? "
            "AND received_at < ? RETURNING id",
            [at, channel, chat_key, external_id, seen_since],
        ).fetchone()
        return reused[0] if reused else None

    def load_state(self, channel: str, chat_key: str) -> str | None:
        row = self.db.execute(
            "SELECT state FROM conversations WHERE channel = ? AND chat_key = ?", [channel, chat_key]
        ).fetchone()
        return row[0] if row else None

    def save_state(self, channel: str, chat_key: str, user_key: str, saved: "Saved") -> None:
        """The conversation's state after the person's message (see `Saved`)."""
        self.db.execute(
            "INSERT INTO conversations (channel, chat_key, user_key, state, updated_at, expires_at, "
            "chat_type, wake_at, opted_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (channel, chat_key) DO UPDATE SET user_key = excluded.user_key, "
            "state = excluded.state, updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
            "wake_at = excluded.wake_at, opted_out = excluded.opted_out",
            [
                channel, chat_key, user_key, saved.state, saved.at, saved.expires_at, saved.chat_type,
                saved.wake_at, int(saved.opted_out),
            ],
        )  # fmt: skip

    def save_woken_state(self, channel: str, chat_key: str, state: str, wake_at: str | None) -> None:
        """The state after the helper's own timer: the retention clock and the expiry stay where
        the person's last message put them (a nudge never keeps a person's data alive)."""
        self.db.execute(
            "UPDATE conversations SET state = ?, wake_at = CASE WHEN opted_out THEN NULL ELSE ? END "
            "WHERE channel = ? AND chat_key = ?",
            [state, wake_at, channel, chat_key],
        )

    def due_wakes(self, now: str, limit: int) -> list[tuple[str, str, str, str]]:
        """(channel, chat, user, wake time) of conversations whose timer is due, oldest first."""
        rows = self.db.execute(
            "SELECT channel, chat_key, user_key, wake_at FROM conversations INDEXED BY "
            "idx_conversations_wake WHERE wake_at IS NOT NULL AND wake_at <= ? AND opted_out = 0 "
            "ORDER BY wake_at LIMIT ?",
            [now, limit],
        ).fetchall()
        return [(channel, chat, user, wake) for channel, chat, user, wake in rows]

    def remember_person(
        self, channel: str, user_key: str, person_ref: str, village: str | None, at: str
    ) -> None:
        """The row of a person who consented (only they have one; no names, no phone numbers)."""
        self.db.execute(
            "INSERT INTO people (channel, user_key, person_ref, village, consent, last_seen) "
            "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (channel, user_key) DO UPDATE SET "
            "person_ref = excluded.person_ref, village = excluded.village, consent = 1, "
            "last_seen = excluded.last_seen",
            [channel, user_key, person_ref, village, at],
        )

    def record_events(self, channel: str, at: str, events: Iterable[dict[str, Any]]) -> None:
        rows = [[at, channel, e["kind"], e["village"], e["person"], _json(e["data"])] for e in events]
        if rows:
            self._insert("events", ("at", "channel", "kind", "village", "person", "data"), rows)

    def queue_replies(
        self,
        channel: str,
        chat_key: str,
        inbound_id: int | None,
        replies: Iterable[dict[str, Any]],
        at: str,
    ) -> None:
        """Replies for a sender to deliver, in order."""
        columns = ("channel", "chat_key", "inbound_id", "reply", "status", "next_attempt_at", "created_at")
        rows = [[channel, chat_key, inbound_id, _json(reply), "pending", at, at] for reply in replies]
        if rows:
            self._insert("outbox", columns, rows)

    def _insert(self, table: str, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
        """Several rows in one statement: one step of SQLite instead of one per row."""
        one = "(" + ", ".join("?" * len(columns)) + ")"
        self.db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(rows))}",
            [value for row in rows for value in row],
        )

    def erase(self, channel: str, chat_key: str, user_key: str) -> None:
        """Everything kept about one person, at once; anonymous events stay."""
        for table, column, key in (
            ("conversations", "chat_key", chat_key),
            ("inbox", "chat_key", chat_key),
            ("outbox", "chat_key", chat_key),
            ("dead_letters", "chat_key", chat_key),
            ("people", "user_key", user_key),
            ("roles", "user_key", user_key),
            ("tickets", "chat_key", chat_key),
        ):
            self.db.execute(f"DELETE FROM {table} WHERE channel = ? AND {column} = ?", [channel, key])

    # --- roles and the office ----------------------------------------------------------------

    def role_of(self, channel: str, user_key: str) -> str | None:
        found = self.staff(channel, user_key)
        return found[0] if found else None

    def staff(self, channel: str, user_key: str) -> tuple[str, tuple[str, ...]] | None:
        """The role an invite gave this person, with the villages a volunteer serves."""
        row = self.db.execute(
            "SELECT role, villages FROM roles WHERE channel = ? AND user_key = ?", [channel, user_key]
        ).fetchone()
        return (row[0], tuple(v for v in (row[1] or "").split("|") if v)) if row else None

    def add_invite(self, code_hash: str, role: str, villages: str, at: str, expires_at: str) -> None:
        self.db.execute(
            "INSERT INTO invites (code_hash, role, villages, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [code_hash, role, villages, at, expires_at],
        )

    def redeem_invite(self, code_hash: str, channel: str, user_key: str, at: str) -> str | None:
        """The role an unused, unexpired invite grants (it is used up and the role recorded), or
        None. A person who has a role keeps the higher one."""
        row = self.db.execute(
            "UPDATE invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? "
            "RETURNING role, villages",
            [at, code_hash, at],
        ).fetchone()
        if row is None:
            return None
        role, villages = row
        had = self.staff(channel, user_key)
        if had and had[0] == "officer":
            return "officer"
        if had and role == "volunteer":  # a second village for the same volunteer
            villages = "|".join(dict.fromkeys([*had[1], *villages.split("|")]))
        self.db.execute(
            "INSERT INTO roles (channel, user_key, role, villages, granted_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (channel, user_key) DO UPDATE SET role = excluded.role, "
            "villages = excluded.villages, granted_at = excluded.granted_at",
            [channel, user_key, role, villages, at],
        )
        return str(role)

    def with_role(self, role: str) -> list[tuple[str, str]]:
        """(channel, user key) of everyone given `role` by an invite."""
        rows = self.db.execute("SELECT channel, user_key FROM roles WHERE role = ?", [role]).fetchall()
        return [(channel, user_key) for channel, user_key in rows]

    def claim_push(self, week: str, at: str) -> bool:
        """True once per week: the week's report is to be pushed now (never again after)."""
        cursor = self.db.execute("INSERT OR IGNORE INTO report_pushes (week, at) VALUES (?, ?)", [week, at])
        return bool(cursor.rowcount)

    # --- tickets: a resident's request for a person -------------------------------------------

    def open_ticket(self, channel: str, chat_key: str, village: str, step: str, message: str, at: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO tickets (channel, chat_key, village, step, message, opened_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [channel, chat_key, village, step, message, at],
        )
        return int(cursor.lastrowid or 0)

    def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        """An open ticket (a closed one is gone for answering)."""
        rows = list(self.db.query("SELECT * FROM tickets WHERE id = ? AND closed_at IS NULL", [ticket_id]))
        return rows[0] if rows else None

    def answer_ticket(self, ticket_id: int, at: str) -> bool:
        """Records the first answer; True when this was it."""
        cursor = self.db.execute(
            "UPDATE tickets SET answered_at = ? WHERE id = ? AND answered_at IS NULL", [at, ticket_id]
        )
        return bool(cursor.rowcount)

    def close_ticket(self, ticket_id: int, at: str) -> None:
        """Closed: the resident's message is no longer kept."""
        self.db.execute("UPDATE tickets SET closed_at = ?, message = NULL WHERE id = ?", [at, ticket_id])

    def tickets_to_escalate(self, opened_before: str) -> list[dict[str, Any]]:
        """Open tickets nobody answered since before `opened_before`, not yet escalated."""
        return list(
            self.db.query(
                "SELECT * FROM tickets INDEXED BY idx_tickets_waiting WHERE answered_at IS NULL "
                "AND opened_at < ? AND escalated_at IS NULL AND closed_at IS NULL ORDER BY id",
                [opened_before],
            )
        )

    def escalated(self, ticket_id: int, at: str) -> None:
        self.db.execute("UPDATE tickets SET escalated_at = ? WHERE id = ?", [at, ticket_id])

    def volunteers_of(self, village: str) -> list[tuple[str, str]]:
        """(channel, user key) of the volunteers serving `village`."""
        rows = self.db.execute(
            "SELECT channel, user_key, villages FROM roles WHERE role = 'volunteer'"
        ).fetchall()
        return [(channel, user) for channel, user, villages in rows if village in (villages or "").split("|")]

    def dead_letter(self, channel: str, chat_key: str, error: str, payload: str, at: str) -> None:
        self.db.execute(
            "INSERT INTO dead_letters (at, channel, chat_key, error, payload) VALUES (?, ?, ?, ?, ?)",
            [at, channel, chat_key, error, payload],
        )

    # --- delivery ----------------------------------------------------------------------------

    #: A chat's oldest undelivered reply: the only one of that chat that may go out next.
    _HEAD = (
        "status = 'pending' AND channel = ? AND NOT EXISTS (SELECT 1 FROM outbox e "
        "WHERE e.channel = o.channel AND e.chat_key = o.chat_key AND e.status = 'pending' AND e.id < o.id)"
    )

    #: An outbox row's columns for `_leading_due`; the last says whether it is withheld: queued
    #: unprompted (no inbound message) for a chat that opted out, the field the sweeper reads too.
    _ROW = (
        "id, channel, chat_key, reply, attempts, next_attempt_at, inbound_id IS NULL AND EXISTS "
        "(SELECT 1 FROM conversations c WHERE c.channel = o.channel AND c.chat_key = o.chat_key "
        "AND c.opted_out)"
    )

    def due_replies(
        self, channel: str, now: str, limit: int = 50, waiting: Iterable[str] = ()
    ) -> list[list[OutboxRow]]:
        """Replies due now, per chat (at most `limit` chats), each chat's in order: its oldest
        pending row and those after it that are due too. A row waiting for a retry holds back
        the rest of its chat. Chats in `waiting` (paced, or paused by the platform) are left out,
        so they never crowd out the others."""
        waiting = list(waiting)
        skip = f"AND chat_key NOT IN ({', '.join('?' * len(waiting))}) " if waiting else ""
        heads = self.db.execute(
            f"SELECT chat_key FROM outbox o WHERE {self._HEAD} "
            f"AND next_attempt_at <= ? {skip}ORDER BY id LIMIT ?",
            [channel, now, *waiting, limit],
        ).fetchall()
        chats = [head[0] for head in heads]
        if not chats:
            return []
        rows = self.db.execute(
            f"SELECT {self._ROW} FROM outbox o WHERE channel = ? AND status = 'pending' "
            f"AND chat_key IN ({', '.join('?' * len(chats))}) ORDER BY id",
            [channel, *chats],
        ).fetchall()
        return [batch for chat in chats if (batch := _leading_due([r for r in rows if r[2] == chat], now))]

    def chat_replies(self, channel: str, chat_key: str, now: str) -> list[OutboxRow]:
        """One chat's replies due now, in order (as `due_replies` gives them)."""
        rows = self.db.execute(
            f"SELECT {self._ROW} FROM outbox o WHERE channel = ? AND chat_key = ? AND status = 'pending' "
            "ORDER BY id",
            [channel, chat_key],
        ).fetchall()
        return _leading_due(rows, now)

    def next_due(self, channel: str) -> str | None:
        """When the next reply of `channel` may go out (only chats' oldest replies count)."""
        row = self.db.execute(
            f"SELECT MIN(next_attempt_at) FROM outbox o WHERE {self._HEAD}", [channel]
        ).fetchone()
        return row[0] if row else None

    def mark_sent(self, sent: Iterable[tuple[int, str | None]], at: str) -> None:
        """Delivered, as (row id, the platform's id of the message): the text is not kept; the
        platform's id is (to edit or delete the message later)."""
        self.db.conn.executemany(
            "UPDATE outbox SET status = 'sent', reply = NULL, sent_at = ?, attempts = attempts + 1, "
            "platform_ref = ? WHERE id = ?",
            [(at, platform_ref, row_id) for row_id, platform_ref in sent],
        )

    def postpone(self, row_id: int, next_at: str, error: str) -> None:
        """The platform asked to wait (429): not an attempt, so a long ban loses nothing."""
        self.db.execute(
            "UPDATE outbox SET next_attempt_at = ?, error = ? WHERE id = ?", [next_at, error, row_id]
        )

    def mark_retry(self, row_id: int, next_at: str, error: str) -> None:
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ? WHERE id = ?",
            [next_at, error, row_id],
        )

    def mark_failed(self, row_id: int, error: str) -> None:
        """Given up: the text is not kept either, only why."""
        self.db.execute(
            "UPDATE outbox SET status = 'failed', reply = NULL, attempts = attempts + 1, error = ? "
            "WHERE id = ?",
            [error, row_id],
        )

    def opt_out(self, channel: str, chat_key: str, error: str) -> None:
        """The person blocked the helper: no more attempts to that chat, and no reminders."""
        self.db.execute(
            "UPDATE outbox SET status = 'failed', reply = NULL, error = ? "
            "WHERE channel = ? AND chat_key = ? AND status = 'pending'",
            [error, channel, chat_key],
        )
        self.db.execute(
            "UPDATE conversations SET opted_out = 1, wake_at = NULL WHERE channel = ? AND chat_key = ?",
            [channel, chat_key],
        )

    # --- housekeeping ------------------------------------------------------------------------

    def purge(self, now: str, cutoff: str) -> dict[str, int]:
        """Conversations past their `expires_at` (with every row of their chat), and per-person
        rows idle since before `cutoff` (a group chat's state holds no person and goes by its own
        expiry only); events are anonymous and stay."""
        counts: Counter[str] = Counter()
        expired = "SELECT channel, chat_key FROM conversations WHERE expires_at < ?"
        for table in ("inbox", "outbox", "dead_letters"):
            counts[table] = self.db.execute(
                f"DELETE FROM {table} WHERE (channel, chat_key) IN ({expired})", [now]
            ).rowcount
        counts["conversations"] = self.db.execute(
            "DELETE FROM conversations WHERE expires_at < ? OR (chat_type = 'private' AND updated_at < ?)",
            [now, cutoff],
        ).rowcount
        for table, column in (
            ("people", "last_seen"),
            ("inbox", "received_at"),
            ("outbox", "created_at"),
            ("dead_letters", "at"),
            ("tickets", "opened_at"),
        ):
            counts[table] += self.db.execute(f"DELETE FROM {table} WHERE {column} < ?", [cutoff]).rowcount
        return dict(counts)

    def villages(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM villages ORDER BY rowid"))

    def put_villages(self, rows: list[dict[str, Any]]) -> tuple[int, int]:
        """Adds new villages and updates known ones; returns (added, updated). Never deletes."""
        known = {row["code"] for row in self.db.query("SELECT code FROM villages")}
        self.db["villages"].upsert_all(rows, pk="code")
        updated = sum(1 for row in rows if row["code"] in known)
        return len(rows) - updated, updated

    def count(self, table: str) -> int:
        return self.db[table].count


def _leading_due(rows: Sequence[Sequence[Any]], now: str) -> list[OutboxRow]:
    """The rows (`Tx._ROW`), in order, up to the first that is not due yet."""
    due = []
    for row in rows:
        if row[5] > now:
            break
        due.append(OutboxRow(row[0], row[1], row[2], json.loads(row[3]), row[4], bool(row[6])))
    return due
