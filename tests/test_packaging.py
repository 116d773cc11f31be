"""The built distributions are complete and the wheel installs and runs on its own.

Builds an sdist and a wheel (the wheel from the sdist, as ``python -m build`` does) from a
copy of the project, installs the wheel into a fresh virtual environment that borrows
torch and numpy from this interpreter's site-packages (nothing is downloaded), and runs it
from outside the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "minee"
# caches and build outputs that are not part of the project
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build",
                                     "dist", "results", ".*_cache", ".benchmarks", "*.pt")


def _version() -> str:
    match = re.search(r'^__version__ = "([^"]+)"', (PACKAGE / "version.py").read_text(),
                      re.MULTILINE)
    assert match, "no __version__ in src/minee/version.py"
    return match.group(1)


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _modules(src: Path) -> set[str]:
    """``minee/...`` paths of every module of the package under ``src``."""
    return {p.relative_to(src).as_posix() for p in (src / "minee").rglob("*.py")
            if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(project copy, wheel, sdist)."""
    pytest.importorskip("build")
    pytest.importorskip("setuptools")
    tmp = tmp_path_factory.mktemp("packaging")
    project = tmp / "project"
    # a copy: no build artefacts in the working tree, no race with edits while building
    shutil.copytree(ROOT, project, ignore=_NOT_SOURCE)
    out = tmp / "dist"
    # --no-isolation: build with the installed setuptools instead of downloading one
    _run([sys.executable, "-m", "build", "--wheel", "--sdist", "--no-isolation",
          "--outdir", str(out), str(project)])
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return project, wheels[0], sdists[0]


def test_distributions_are_complete(dists: tuple[Path, Path, Path]) -> None:
    project, wheel, sdist = dists
    version = _version()
    assert wheel.name.startswith(f"minee-{version}-")
    assert sdist.name == f"minee-{version}.tar.gz"
    modules = _modules(project / "src")
    assert "minee/commands/__init__.py" in modules
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = set(zf.namelist())
    assert {n for n in in_wheel if n.startswith("minee/") and n.endswith(".py")} == modules
    assert "minee/py.typed" in in_wheel
    with tarfile.open(sdist) as tf:
        in_sdist = set(tf.getnames())
    prefix = f"minee-{version}/"
    assert f"{prefix}src/minee/py.typed" in in_sdist
    assert {prefix + "src/" + m for m in modules} <= in_sdist


def test_wheel_installs_and_runs(dists: tuple[Path, Path, Path],
                                 tmp_path: Path) -> None:
    _, wheel, _ = dists
    version = _version()
    env_dir = tmp_path / "venv"
    # the system site-packages supply torch, numpy, tqdm and pip itself
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--force-reinstall",
          "--disable-pip-version-check", "--no-input", str(wheel)], env=env)
    elsewhere = tmp_path / "elsewhere"  # not the repository: no src/ on the path
    elsewhere.mkdir()
    cli = _run([str(bindir / "minee"), "--version"], cwd=elsewhere, env=env)
    assert cli.stdout.split() == ["minee", version]
    imported = _run([str(python), "-c",
                     "import minee; print(minee.__version__); print(minee.__file__)"],
                    cwd=elsewhere, env=env)
    printed, location = imported.stdout.split()
    assert printed == version
    # the installed wheel, not the project's sources or an editable install
    assert Path(location).resolve().is_relative_to(env_dir.resolve())
