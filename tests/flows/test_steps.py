"""The steps table is complete and its Mermaid diagram names every step."""

import re
from pathlib import Path

from flows import Step
from flows.model import GUIDE_STEPS
from flows.steps import STEPS

DIAGRAM = Path(__file__).resolve().parents[2] / "flows" / "steps.mmd"


def test_every_step_but_new_has_a_row():
    assert set(STEPS) == set(Step) - {Step.NEW}


def test_the_diagram_names_every_step_and_nothing_else():
    lines = [line for line in DIAGRAM.read_text(encoding="utf-8").splitlines() if not line.startswith("%%")]
    edges = re.sub(r"\|[^|]*\||\(\[[^]]*\]\)|\[\[[^]]*\]\]", "", "\n".join(lines))
    nodes = set(re.findall(r"(?:^\s*|-->\s*)([a-z][a-z0-9_]*)", edges, re.MULTILINE)) - {"flowchart", "any"}
    assert {str(step) for step in Step} <= nodes, sorted({str(s) for s in Step} - nodes)
    assert nodes <= {str(step) for step in Step}, sorted(nodes - {str(s) for s in Step})


def test_guide_steps_are_numbered_one_to_five_in_order():
    assert [int(step.removeprefix("guide_")) for step in GUIDE_STEPS] == [1, 2, 3, 4, 5]


def test_step_values_are_stable_ascii_names():
    for step in Step:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", step.value)
        assert step.value == step.name.lower()
