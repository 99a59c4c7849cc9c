"""Weekly village reports for the culture-social office (VHXH): reporting weeks in the commune's
time zone (`week`), the counts per village by SQL over `events` (`counts`), and their text and
JSON forms (`render`). `python -m bot report` prints them."""
