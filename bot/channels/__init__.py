"""The channels: each translates one platform's messages into `Inbound` and the flow's replies
into the platform's calls. Nothing else: the conversation is `flows/` and the service.

`bot/app.py` loops over the configured channels: it mounts each one's routes, gives each push
channel a `Sender` (with the channel's pacing) that drains its outbox through `deliver`, routes the
service's `wake` by channel name, and runs each channel's start, background work and stop. Adding
a platform is adding a module here; channels never import each other (a test checks it), and
what they share lives beside them (`bot.rendering`, `bot.sender`).
"""

import aiohttp
from aiohttp import web

from bot.sender import Pacing
from bot.store import OutboxRow


async def read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """A downloaded file's body in memory (a resident's photo); None as soon as it proves larger
    than `limit` bytes, by its declared length or by what arrived, so a huge file is never read
    whole."""
    if (response.content_length or 0) > limit:
        return None
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)


class Channel:
    """What `bot.app` needs of a channel. The defaults fit a channel with nothing to do there."""

    #: The name in the database and in `Inbound.channel`.
    name: str = ""
    #: How fast its outbox may be delivered; None for a channel that answers in the HTTP
    #: response (the web chat) and so has no outbox and no sender.
    pacing: Pacing | None = None
    #: The largest request body any of its routes accepts.
    max_body: int = 0

    def setup(self, app: web.Application) -> None:
        """Mounts its routes (and anything else it needs on the web application)."""

    async def start(self) -> None:
        """Connects to the platform; raises `ChannelError` with a plain reason when it cannot."""

    async def run(self) -> None:
        """Background work until cancelled (polling the platform); returns at once if none."""

    async def stop(self) -> None:
        """Releases what `start` took."""

    async def deliver(self, row: OutboxRow) -> str | None:
        """Sends one outbox row; returns the platform's id of the message, if any."""
        raise NotImplementedError(f"{self.name} has no outbox")


class ChannelError(Exception):
    """A channel cannot start: the message names the setting to fix, in Vietnamese (the person
    reading it is the commune's IT helper)."""
