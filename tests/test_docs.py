"""The docstring examples of every module run, and the documentation site builds cleanly.

Docstring examples run with empty globals, so each must import what it uses; lines that
need a cluster carry ``# doctest: +SKIP``. The default training budget is capped as for the
README's examples.
"""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import minee
from tests.test_readme import short_training

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(minee.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# read from the source, without importing: collecting the tests stays cheap
WITH_EXAMPLES = sorted(module_name(p) for p in SRC.rglob("*.py") if ">>>" in p.read_text())
ALL_MODULES = sorted(module_name(p) for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name: str, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    short_training(monkeypatch)
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    tests = doctest.DocTestFinder().find(module, globs={})
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0, f"{name}: {result}"


def test_every_module_is_searched_for_examples() -> None:
    # modules whose docstrings have no '>>>' have nothing to run; import them all to be
    # sure none hides examples in a docstring built at import time
    finder = doctest.DocTestFinder()
    for name in ALL_MODULES:
        if name in WITH_EXAMPLES or name == "minee.__main__":
            continue
        found = [t for t in finder.find(importlib.import_module(name), globs={}) if t.examples]
        assert not found, f"{name} has examples the scan missed"
    assert {"minee.api", "minee.baselines", "minee.many.matrix"} <= set(WITH_EXAMPLES)


def test_documentation_site_builds_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")  # the API page, docs/api.md
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                          str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNING" not in out.stderr, out.stderr
    assert (tmp_path / "site" / "index.html").exists()
    api = (tmp_path / "site" / "docs" / "api" / "index.html").read_text()
    assert "mutual_information" in api and "{args}" not in api  # rendered, filled in


def test_api_page_documents_every_public_name() -> None:
    # docs/api.md renders each name with a mkdocstrings directive, "::: minee.NAME"
    documented = set(re.findall(r"^::: (\S+)$", (ROOT / "docs" / "api.md").read_text(),
                                re.MULTILINE))
    public = {f"minee.{name}" for name in minee.__all__ if name != "__version__"}
    missing = public - documented
    assert not missing, f"docs/api.md lacks {sorted(missing)}"
    assert {"minee.tasks", "minee.baselines"} <= documented
