"""Fake platform servers that the real client libraries talk to over 127.0.0.1."""
