# Two commands: `make run` and `make test`. Both create .venv and install the
# project on first use; the stamp file makes later runs skip the install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench chat clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot serve

chat: $(STAMP)
	$(PY) -m bot chat

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest

# Every benchmark runs, even after one missed its target; the exit status is 1 if any did.
bench: $(STAMP)
	@status=0; for script in bench/run.py bench/web.py bench/telegram_webhook.py bench/zalo_webhook.py bench/report.py bench/card_photo.py bench/footprint.py; do \
		echo "== $$script"; $(PY) $$script || status=1; echo; done; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
