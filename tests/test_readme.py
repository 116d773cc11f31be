"""Every Python example in README.md and docs/ runs, and the README keeps the set-up commands.

The ```python blocks of each page run in order in one namespace, as a reader would paste
them, in a temporary folder (some write files). A block may be skipped only when it needs a
cluster or a GPU, marked by an HTML comment on the line before it:
``<!-- no-test: needs a Dask cluster -->``. The default training budget is capped for the
duration (:func:`short_training`): the examples are checked to run, not for accuracy.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from minee.presets import RECIPES

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"<!--\s*no-test:\s*(.*?)\s*-->")

MAIN_JOB = 'pip install "torch==2.13.0" && pip install -e ".[plot]" && minee demo --plot demo.png'
TEST_JOB = 'pip install "torch==2.13.0" && pip install -e ".[test]" && python -m pytest -q'


def python_blocks(path: Path) -> list[tuple[int, str, str | None]]:
    """The page's ```python blocks: (line of the fence, code, reason to skip or None)."""
    text = path.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").splitlines()
        marker = SKIP.fullmatch(before[-1].strip()) if before else None
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((line, match.group(1), marker.group(1) if marker else None))
    return blocks


def short_training(monkeypatch: pytest.MonkeyPatch, steps: int = 30) -> None:
    """Cap the default preset's ``max_steps`` (every estimator kind) for one test."""
    for kind, recipe in RECIPES["default"].items():
        monkeypatch.setitem(RECIPES["default"], kind,
                            replace(recipe, max_steps=min(recipe.max_steps, steps)))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(page: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    short_training(monkeypatch)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for line, code, skip in python_blocks(page):
        if skip is not None:
            # only what a test machine cannot have is exempt
            assert re.search(r"cluster|GPU|CUDA", skip), f"{page.name}:{line}: {skip!r}"
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"the example at {page.name}:{line} failed: "
                                 f"{type(exc).__name__}: {exc}") from exc


def test_examples_exist_and_skips_are_rare() -> None:
    blocks = [block for page in PAGES for block in python_blocks(page)]
    assert len(blocks) >= 4
    assert sum(skip is not None for _, _, skip in blocks) <= 2


def test_readme_keeps_the_two_set_up_commands_in_order() -> None:
    text = (ROOT / "README.md").read_text()
    assert MAIN_JOB in text and TEST_JOB in text
    assert text.index(MAIN_JOB) < text.index(TEST_JOB)
    # what .ci/run reads: the first line after the marker that is not a code fence
    after = text.split("<!-- test-command", 1)[1].splitlines()[1:]
    assert next(line for line in after if not line.startswith("```")) == TEST_JOB
    assert len(text.splitlines()) < 230
