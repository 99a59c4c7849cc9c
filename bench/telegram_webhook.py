"""Telegram webhook benchmark: the helper next to a python-telegram-bot baseline and the HTTP floor.

Why: on Telegram a person waits for the whole round trip: the webhook POST, the conversation step
made durable, then the bot's own calls back to the Bot API (remove the old keyboard, send the next
question; a press is answered in the webhook's answer). This measures that loop end to end against
a fake Bot API (`tests/fakes/telegram.py`), run in this process on 127.0.0.1, so nothing reaches
the network.

The harness (processes, cores, levels, the table) is `bench/webhook_load.py`.

* Targets, each a subprocess on a free 127.0.0.1 port, pinned to its own core when there are two:
  `floor` is `bench/webhook_floor.py --platform telegram` (the same HTTP per update and nothing
  else: no flow, no database; the ceiling for this machine); `baseline` is
  `bench/telegram_baseline.py` (the same conversation written the customary way:
  ConversationHandler, PicklePersistence, one update at a time); `helper` is `python -m bot serve`
  with a temporary database and Telegram's per-chat pacing switched off (`TELEGRAM_PACING=off`),
  so the figure is the server's speed, not the platform's send limits. A target counts as started
  when its webhook refuses a wrong secret (401 or 403), and, for the baseline, once it called getMe.
* Workload: for each concurrency level (1, 50, 200), that many simulated private chats at once, each
  in a closed loop over one conversation of 14 updates: `/start v_<village>` and 13 button presses
  that walk consent, the village, the prerequisites and the five steps to the end. A press carries
  the id of the message whose button it is (the last question the fake received for that chat). A
  method in the webhook's answer is run at the fake, as Telegram runs it. After each POST the chat
  waits until the fake has received the next question (a send with an inline keyboard) for it.
  Every conversation uses a chat never seen before: the helper remembers a person (a second /start
  after consent skips consent and the prerequisites), so a reused chat would not walk the same 14
  steps.
* Measured per level: updates/s (answered updates / wall time), reply latency from starting the
  POST to the arrival at the fake of the first new send for that chat (p50, p99), and Bot API calls
  per update. An update counts as an error when it is not answered 200 or its question does not
  arrive within 5 s; that chat then stops. One unmeasured conversation warms each target up. Each
  row also shows the CPU the target and this process (load generator and fake together) used, as a
  share of one core: near 100 % for this process, the load generator, not the target, is the limit.

Target: the helper handles >= 1,500 updates/s at 200 concurrent chats without an error; the exit
status is 1 when it does not (or when a target fails to start). `--only floor|baseline|helper`
runs one target. About two minutes for all three.
"""

import sys
from pathlib import Path

from webhook_load import ROOT, Driver, Observer, Platform, Target, main

from tests.fakes.telegram import SECRET_HEADER, TOKEN, Call, FakeTelegram, callback_update, message_update

TARGETS = ("floor", "baseline", "helper")
VILLAGE = "ttcm-to-3"
PRESSES = (
    "consent:agree",
    "village_confirm:yes",
    "menu:guide",
    "pre_app:yes",
    "pre_level2:yes",
    "pre_card:yes",
    "guide_1:next",
    "guide_2:next",
    "guide_3:next",
    "guide_4:next",
    "guide_4_number:next",
    "guide_4_confirm:next",
    "guide_5:yes",
)
WEBHOOK_PATH = "/telegram/webhook"


def is_send(call: Call) -> bool:
    return call.method.lower() in {"sendmessage", "sendphoto"}


def asks(call: Call) -> bool:
    """A question carries an inline keyboard."""
    markup = call.params.get("reply_markup")
    return isinstance(markup, dict) and "inline_keyboard" in markup


async def conversation(driver: Driver, url: str, chat: str, latencies: list[float]) -> None:
    """The 14 updates of one person: the deep link, then a press of each question's button."""
    latency, question = await driver.post(url, chat, message_update(int(chat), f"/start v_{VILLAGE}"))
    latencies.append(latency)
    for data in PRESSES:
        update = callback_update(int(chat), data, message_id=int(question.ref))
        latency, question = await driver.post(url, chat, update)
        latencies.append(latency)


def targets(fake: FakeTelegram, secret: str, folder: Path, port: int) -> dict[str, Target]:
    common = ("--port", str(port), "--api-base", fake.base_url, "--token", TOKEN, f"--secret={secret}")
    baseline = (sys.executable, str(ROOT / "bench" / "telegram_baseline.py"), *common)
    baseline += ("--state", str(folder / "baseline.pickle"))
    floor = (sys.executable, str(ROOT / "bench" / "webhook_floor.py"), "--platform", "telegram", *common)
    helper_env = {
        "BOT_HOST": "127.0.0.1",
        "BOT_PORT": str(port),
        "BOT_DB_PATH": str(folder / "helper.sqlite3"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_PACING": "off",
        "LOG_LEVEL": "WARNING",
    }
    return {
        "floor": Target("floor", floor, {}, calls_get_me=False),
        "baseline": Target("baseline", baseline, {}, calls_get_me=True),
        "helper": Target("helper", (sys.executable, "-m", "bot", "serve"), helper_env, calls_get_me=False),
    }


def platform(fake: FakeTelegram) -> Platform:
    """The benchmark's view of the fake: how sends are seen, the conversation, the targets."""
    return Platform(
        name="Telegram",
        fake=fake,
        observer=Observer(fake, is_send, asks),
        webhook_path=WEBHOOK_PATH,
        secret_header=SECRET_HEADER,
        pacing_setting="TELEGRAM_PACING",
        updates_per_conversation=1 + len(PRESSES),
        conversation=conversation,
        targets=lambda secret, folder, port: targets(fake, secret, folder, port),
    )


if __name__ == "__main__":
    sys.exit(main(FakeTelegram(), platform, TARGETS, __doc__))
