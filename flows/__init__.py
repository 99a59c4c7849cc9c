"""The help conversation as a pure function: `handle(state, inbound, content, now)`.

Standard library only. Channels build `Inbound`, call `handle`, store the returned state, log the
events and show the replies their own way.
"""

from flows.content import Content, ContentError, load_content
from flows.engine import handle
from flows.model import Button, FlowEvent, FlowState, Inbound, Reply, Step, Transition

__all__ = [
    "Button",
    "Content",
    "ContentError",
    "FlowEvent",
    "FlowState",
    "Inbound",
    "Reply",
    "Step",
    "Transition",
    "handle",
    "load_content",
]
