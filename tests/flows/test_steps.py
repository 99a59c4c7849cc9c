"""The steps table is complete and its Mermaid diagram names every step."""

import re
from pathlib import Path

from flows import Step
from flows.guide import SCREENS
from flows.model import GUIDE_STEPS, SIDE_STEPS
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


def test_guide_screens_follow_the_leaflets_five_steps_in_order():
    assert [screen.step for screen in SCREENS] == list(GUIDE_STEPS)
    assert [screen.number for screen in SCREENS] == [1, 2, 3, 4, 4, 4, 5]
    assert [int(step.removeprefix("guide_")[0]) for step in GUIDE_STEPS] == [1, 2, 3, 4, 4, 4, 5]


def test_side_questions_are_steps_with_somewhere_to_go_back_to():
    assert set(STEPS) >= SIDE_STEPS
    assert Step.ERASE_CONFIRM not in SIDE_STEPS, "erasing is never left by typing something else"


def test_step_values_are_stable_ascii_names():
    for step in Step:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", step.value)
        assert step.value == step.name.lower()
