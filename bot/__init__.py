"""Everything with input and output around the pure flow: the terminal chat now; the store, the
web server and the Telegram and Zalo channels as they are added."""
