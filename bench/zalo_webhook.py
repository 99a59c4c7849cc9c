"""Zalo webhook benchmark: the helper next to the HTTP floor, against a fake Zalo Bot Platform.

Why: on Zalo a person waits for the webhook POST, the conversation step made durable, then the
helper's `sendMessage` back to the platform. This measures that loop end to end against the fake
(`tests/fakes/zalo.py`), run in this process on 127.0.0.1; the harness (processes, cores, levels,
the table) is `bench/webhook_load.py`.

* Targets: `floor` is `bench/webhook_floor.py --platform zalo` (the same HTTP per update and
  nothing else: no flow, no database; this machine's ceiling), `helper` is `python -m bot serve`
  with a temporary database (`synchronous=FULL`) and `ZALO_PACING=off`, so the figure is the
  server's speed, not the gentle send pacing. There is no customary Python build to compare with:
  no Zalo Bot Platform package is fit to use (zalo-bot-platform.md §3).
* Workload: at 1, 50 and 200 chats at once, each chat in a closed loop over one conversation of
  15 updates typed as Zalo users type them: "xin chào", then "1" to each question (consent, the
  area, the village, the menu's guide, the prerequisites, the five steps). After each POST the chat
  waits until the fake received the next question (a message with numbered options).
* Measured per level: updates/s, reply latency from the POST to the first new send (p50, p99),
  API calls per update, errors, and the CPU of the target and of this process.

Target: the helper handles >= 1,500 updates/s at 200 concurrent chats without an error; the exit
status is 1 when it does not. `--only floor|helper` runs one target. About a minute.
"""

import sys
from pathlib import Path

from webhook_load import ROOT, Driver, Observer, Platform, Target, main

from tests.fakes.zalo import SECRET_HEADER, TOKEN, Call, FakeZalo, text_update

TARGETS = ("floor", "helper")
WEBHOOK_PATH = "/zalo/webhook"
#: The answers after the greeting: the first option of every question.
ANSWERS = ("1",) * 14


def is_send(call: Call) -> bool:
    return call.method in {"sendMessage", "sendPhoto"}


def asks(call: Call) -> bool:
    """A question lists its options by number."""
    return "\n1. " in str(call.params.get("text") or call.params.get("caption") or "")


async def conversation(driver: Driver, url: str, chat: str, latencies: list[float]) -> None:
    for text in ("xin chào", *ANSWERS):
        latency, _ = await driver.post(url, chat, text_update(chat, text))
        latencies.append(latency)


def targets(fake: FakeZalo, secret: str, folder: Path, port: int) -> dict[str, Target]:
    common = ("--port", str(port), "--api-base", fake.base_url, "--token", TOKEN, f"--secret={secret}")
    floor = (sys.executable, str(ROOT / "bench" / "webhook_floor.py"), "--platform", "zalo", *common)
    helper_env = {
        "BOT_HOST": "127.0.0.1",
        "BOT_PORT": str(port),
        "BOT_DB_PATH": str(folder / "helper.sqlite3"),
        "PUBLIC_URL": f"https://127.0.0.1:{port}",  # Zalo takes only an https webhook address
        "ZALO_BOT_TOKEN": TOKEN,
        "ZALO_API_BASE": fake.base_url,
        "ZALO_WEBHOOK_SECRET": secret,
        "ZALO_PACING": "off",
        "LOG_LEVEL": "WARNING",
    }
    return {
        "floor": Target("floor", floor, {}, calls_get_me=False),
        "helper": Target("helper", (sys.executable, "-m", "bot", "serve"), helper_env, calls_get_me=False),
    }


def platform(fake: FakeZalo) -> Platform:
    """The benchmark's view of the fake: how sends are seen, the conversation, the targets."""
    return Platform(
        name="Zalo",
        fake=fake,
        observer=Observer(fake, is_send, asks),
        webhook_path=WEBHOOK_PATH,
        secret_header=SECRET_HEADER,
        pacing_setting="ZALO_PACING",
        updates_per_conversation=1 + len(ANSWERS),
        conversation=conversation,
        targets=lambda secret, folder, port: targets(fake, secret, folder, port),
    )


if __name__ == "__main__":
    sys.exit(main(FakeZalo(), platform, TARGETS, __doc__))
