"""No typed card, CCCD or phone number is kept anywhere: after a conversation that checks several
card numbers and a CCCD (at the card question, in the middle of other questions, and in a message
that breaks the flow), neither the database file with its WAL nor the logs contain any of the digit
runs typed."""

import io
import logging
import re
import sys

from aiohttp.test_utils import TestClient

import bot.conversation
from bot.redact import RedactingFilter, hide_secrets, mask_numbers, redact, setup_logging
from flows import handle as real_handle

TYPED = [
    ("xin chào", None),
    ("0123456789", "at the consent question"),
    ("1", None),
    ("CCCD của tôi là 001 090 012 345", "in the middle of the area question"),
    ("1", None),
    ("3", None),
    ("2", None),
    ("DN4O10123456789", "at the card question"),
    ("HT3060123456788", "at the card question"),
    ("số thẻ: 0987-654-321 ạ", "at the card question, with dashes"),
    ("001090012346", "a CCCD at the card question"),
    ("menu", None),
    ("0912345678", "a phone number at the menu"),
    ("boom 0111222333", "a message that breaks the flow"),
]


def _digit_runs(text: str) -> set[str]:
    compact = re.sub(r"[\s.\-]", "", text)
    return set(re.findall(r"\d{7,}", compact)) | set(re.findall(r"\d{7,}", text))


async def test_no_typed_number_reaches_the_database_or_the_logs(client, opened, settings, monkeypatch):
    logs = io.StringIO()
    setup_logging("DEBUG")
    handler = logging.getLogger().handlers[0]
    handler.setStream(logs)

    def breaks_on_boom(state, inbound, content, now, **kwargs):
        if "boom" in inbound.text:
            raise RuntimeError(f"could not read {inbound.text!r}")
        return real_handle(state, inbound, content, now, **kwargs)

    monkeypatch.setattr(bot.conversation, "handle", breaks_on_boom)
    try:
        answers = []
        for text, _ in TYPED:
            response = await client.post("/api/chat", json={"text": text})
            assert response.status == 200
            answers.append(await response.text())
    finally:
        logging.getLogger().handlers.clear()
    secrets = set().union(*(_digit_runs(text) for text, _ in TYPED))
    assert {"0123456789", "001090012345", "0987654321", "0111222333"} <= secrets
    store, _ = opened
    card_checks = await store.run(
        lambda tx: tx.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'card_checked'")
    )
    assert card_checks.fetchone()[0] == 7, "every number was really checked"
    assert await store.run(lambda tx: tx.count("dead_letters")) == 1
    assert "could not read" in logs.getvalue(), "the failure was logged"
    files = [settings.bot_db_path, settings.bot_db_path.with_name(settings.bot_db_path.name + "-wal")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    for secret in secrets:
        assert secret.encode() not in stored, f"{secret} is in the database file"
        assert secret not in logs.getvalue(), f"{secret} is in the logs"
        assert not any(secret in answer for answer in answers), f"{secret} is in a reply"


def test_masking_keeps_short_numbers_and_hides_long_runs():
    assert mask_numbers("bước 3, năm 2026, cổng 8080") == "bước 3, năm 2026, cổng 8080"
    assert mask_numbers("số 0123 456 789 nhé") == "số •••••••••••• nhé"
    assert mask_numbers("DN4010123456789") == "•••••••••••••••", "the group code goes too"
    assert mask_numbers("thẻ DN4O10123456789 và HT3O6O1234O6789") == "thẻ ••••••••••••••• và •••••••••••••••"
    assert mask_numbers("0912.345.678") == "••••••••••••"
    assert mask_numbers("001,090,012,345 và 0912/345/678") == "••••••••••••••• và ••••••••••••"


def test_the_log_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "typed %s", ("0123456789",), None)
    try:
        raise ValueError("bad 001090012345")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "0123456789" not in formatted
    assert "001090012345" not in formatted
    assert "typed ••••••••••" in formatted
    assert "ValueError" in formatted


#: Cards of different groups, each with what a reply about it could reveal: the group's label,
#: the benefit level's note, the province, and the issuer the card points to.
CARDS = {
    "TE1010123456789": ("Trẻ em dưới 6 tuổi", "không giới hạn tỷ lệ thanh toán", "Hà Nội"),
    "HN2060123456788": ("Người thuộc hộ nghèo", "có giới hạn tỷ lệ thanh toán", "Bắc Kạn"),
    "CA5980123456787": (
        "Sĩ quan, hạ sĩ quan, chiến sĩ, học viên Công an nhân dân",
        "kể cả ngoài phạm vi BHYT",
    ),
    "QN5970123456786": ("Quân nhân tại ngũ", "Bảo hiểm xã hội Bộ Quốc phòng"),
    "DT2150123456785": ("Người dân tộc thiểu số sống ở vùng khó khăn",),
}


async def _check_cards(client, consent: str) -> str:
    """One browser: the welcome, `consent`, then every card checked and, for each, what it
    means (typed again, as the helper asks). Returns everything the helper said."""
    said = []
    for body in ({"start": ""}, {"text": consent}, {"text": "menu"}, {"text": "Kiểm tra số thẻ BHYT"}):
        said.append(await (await client.post("/api/chat", json=body)).text())
    for card in CARDS:
        for text in (card, "Xem ý nghĩa số thẻ", card, "Kiểm tra số khác"):
            response = await client.post("/api/chat", json={"text": text})
            assert response.status == 200
            said.append(await response.text())
    return "".join(said)


async def test_nothing_read_from_a_card_is_kept_in_the_database_or_its_wal(client, opened, settings, server):
    """Cards of five groups checked by a person who declined and by one who agreed: the
    database file and its WAL, as bytes, hold none of the numbers, masked forms or decoded
    labels, although the helper said the labels (so the scan looks for something real)."""
    said = await _check_cards(client, "Không đồng ý")
    async with TestClient(server) as agreed:
        said += await _check_cards(agreed, "Đồng ý")
    labels = {label for revealed in CARDS.values() for label in revealed}
    assert all(label in said for label in labels), "the helper did tell each person"
    store, _ = opened
    checks = await store.run(
        lambda tx: tx.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'card_checked'")
    )
    assert checks.fetchone()[0] == 2 * 2 * len(CARDS)
    files = [settings.bot_db_path, settings.bot_db_path.with_name(settings.bot_db_path.name + "-wal")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert len(stored) > 10_000, "the database and its WAL were read"
    for card, revealed in CARDS.items():
        for secret in (card, card[:3], card[-10:], "•"):
            assert secret.encode() not in stored, f"{secret!r} is in the database"
        # a masked form's tail ("•••789"); a random hex reference may end in the same digits
        tail = re.compile(rb"(?<![0-9a-f])" + card[-3:].encode() + rb'"')
        assert not tail.search(stored), f"the tail {card[-3:]!r} is in the database"
        for label in revealed:
            assert label.encode() not in stored, f"{label!r} is in the database"
    events = await store.run(
        lambda tx: [r["data"] for r in tx.db.query("SELECT data FROM events WHERE kind = 'card_checked'")]
    )
    assert set(events) == {'{"valid":true,"reason":"ok"}'}, "the verdict only"


def test_registered_secrets_are_masked_whole_and_by_their_part_after_the_colon():
    token = "987654321:AAF-only_for_this_test_xyz"
    hide_secrets([token])
    assert token not in redact(f"POST https://api.telegram.org/bot{token}/sendMessage failed")
    assert "AAF-only_for_this_test_xyz" not in redact("token part AAF-only_for_this_test_xyz leaked")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{token}/getMe",), None)
    assert RedactingFilter().filter(record)
    assert token.partition(":")[2] not in record.getMessage()
    assert "<secret>" in record.getMessage()
