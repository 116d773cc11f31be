"""Training-curve figures (minee.plotting)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minee
from minee import tasks
from minee.plotting import heatmap, plot_history


@pytest.fixture(scope="module")
def estimate() -> minee.Estimate:
    x, y = tasks.get("hg", rho=0.8, d=1).sample(300, seed=0)
    return minee.mutual_information(x, y, seed=0, ensemble=2, null=True, val_fraction=0.2,
                                    max_steps=40, advanced={"eval_every": 10, "min_steps": 0})


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_writes_figure(estimate: minee.Estimate, tmp_path: Path, suffix: str,
                       magic: bytes) -> None:
    path = tmp_path / f"curves{suffix}"
    fig = plot_history(estimate, truth=0.5108, path=path)
    assert path.read_bytes()[:4] == magic
    top, bottom = fig.axes
    labels = [line.get_label() for line in top.get_lines()]
    assert "train rows" in labels and "held-out rows" in labels
    assert any(label.startswith("truth") for label in labels)
    assert any(label.startswith("null") for label in labels)
    heads = [line.get_label() for line in bottom.get_lines()]
    assert {"D[xy]", "D[x]", "D[y]"} <= set(heads)  # the three divergences


def test_bad_path(estimate: minee.Estimate, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot write a figure as '.gif'"):
        plot_history(estimate, path=tmp_path / "curves.gif")
    with pytest.raises(ValueError, match="no such folder"):
        plot_history(estimate, path=tmp_path / "absent" / "curves.png")


def test_entropy_figure_without_heldout() -> None:
    x, _ = tasks.get("hg", rho=0.8, d=1).sample(200, seed=0)
    est = minee.entropy(x, seed=0, val_fraction=0, max_steps=20, advanced={"eval_every": 10})
    fig = plot_history(est)
    assert "H(X)" in fig.axes[0].get_ylabel()


def test_suffix_picks_the_format(estimate: minee.Estimate, tmp_path: Path) -> None:
    # the figure is saved into an open file, which has no name to guess the format from
    plot_history(estimate, path=tmp_path / "curves.SVG")
    assert b"<svg" in (tmp_path / "curves.SVG").read_bytes()[:500]


def test_failed_save_leaves_the_old_file(estimate: minee.Estimate, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    def crash(self: Figure, fh: Any, **kwargs: Any) -> None:
        fh.write(b"half a figure")
        raise RuntimeError("renderer crashed")

    path = tmp_path / "curves.png"
    path.write_bytes(b"old")
    monkeypatch.setattr(Figure, "savefig", crash)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        plot_history(estimate, path=path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary left


def test_heatmap(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    matrix = pd.DataFrame([[np.nan, 0.4, 0.1], [0.4, np.nan, 0.9], [0.1, 0.9, np.nan]],
                          index=list("abc"), columns=list("abc"))
    fig = heatmap(matrix, tmp_path / "mi.pdf")
    assert (tmp_path / "mi.pdf").read_bytes()[:4] == b"%PDF"
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="cannot write a figure"):
        heatmap(matrix, tmp_path / "mi.jpg")
