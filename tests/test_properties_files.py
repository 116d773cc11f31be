"""Property-based, for files and for discrete data: a CSV however written (delimiter,
decimal comma, spaced or quoted headers, a BOM, blank trailing lines, ragged rows) is read
to the values written or refused with a message, never shifted; writing to a special path
(a folder, a FIFO, a device, a symbolic link) writes a regular file where one belongs or
refuses, never replacing what is there; and discrete or mixed columns give a finite MI or
a clear error."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minee
from minee.data.io import read_table
from minee.files import atomic_write


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, np.ndarray, list[str], str]:
    """CSV text, the values it holds (n, d), their column names, and what a reader must do:
    ``"read"`` it (well-formed), ``"refuse"`` it (a row wider than the header) or either
    (``"ambiguous"``: one column of decimal commas, which no line's ``;`` marks as such)."""
    n, d = draw(st.integers(2, 12)), draw(st.integers(1, 4))
    values = np.round(np.array(draw(st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
        min_size=n * d, max_size=n * d))).reshape(n, d), 6)
    names = [f"c{k}" for k in range(d)]
    euro = draw(st.booleans())
    sep = ";" if euro else draw(st.sampled_from([",", ";"]))
    spaced = draw(st.booleans())
    quoted = draw(st.booleans())

    def head(name: str) -> str:
        text = f" {name}" if spaced else name
        return f'"{text}"' if quoted else text

    def cell(v: float) -> str:
        text = repr(float(v))
        return text.replace(".", ",") if euro else text

    lines = [sep.join(head(c) for c in names)]
    lines += [sep.join(cell(v) for v in row) for row in values]
    ragged = d > 1 and draw(st.booleans()) and draw(st.booleans())
    if ragged:  # one row with an extra field
        k = draw(st.integers(1, n))
        lines[k] += sep + cell(1.0)
    text = ("\ufeff" if draw(st.booleans()) else "") + "\n".join(lines)
    text += "\n" * draw(st.integers(0, 3))
    return text, values, names, "refuse" if ragged else "ambiguous" if euro and d == 1 \
        else "read"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=csv_files())
def test_a_csv_is_read_to_its_values_or_refused(case: tuple, tmp_path_factory) -> None:
    text, values, names, must = case
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_text(text, encoding="utf-8")
    try:
        df = read_table(path)
    except ValueError as exc:
        assert str(exc) and must != "read", f"refused a well-formed file: {exc}"
        return
    assert must != "refuse", "a ragged file was read"
    assert list(df.columns) == names
    np.testing.assert_allclose(df.to_numpy(dtype=float), values, rtol=1e-12, atol=0)


SPECIAL = ["folder", "fifo", "device", "symlink", "dangling symlink", "regular", "new"]


def _make(kind: str, where: Path) -> Path:
    """A path of the given kind under ``where``."""
    target = where / "out.csv"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        return Path(os.devnull)
    elif kind == "symlink":
        (where / "real.csv").write_text("old\n")
        target.symlink_to(where / "real.csv")
    elif kind == "dangling symlink":
        target.symlink_to(where / "missing.csv")
    elif kind == "regular":
        target.write_text("old\n")
    return target


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(SPECIAL), content=st.text(max_size=50))
def test_a_write_lands_in_a_regular_file_or_is_refused(kind: str, content: str,
                                                       tmp_path_factory) -> None:
    where = tmp_path_factory.mktemp("out")
    target = _make(kind, where)
    before = os.lstat(target) if os.path.lexists(target) else None
    try:
        with atomic_write(target, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
    except (ValueError, OSError) as exc:
        assert kind in ("folder", "fifo", "device"), f"{kind}: refused ({exc})"
        after = os.lstat(target)
        assert before is not None and stat.S_IFMT(after.st_mode) == stat.S_IFMT(
            before.st_mode)  # left as it was
        return
    assert kind not in ("folder", "fifo", "device"), f"{kind} was written over"
    final = Path(os.path.realpath(target))
    assert final.is_file() and final.read_bytes().decode("utf-8") == content
    if kind in ("symlink", "dangling symlink"):
        assert target.is_symlink()  # the link kept, its file written


@st.composite
def discrete_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """x with integer-coded, binary or mixed columns and a y depending on them."""
    n = draw(st.sampled_from([40, 120, 300]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["binary", "codes", "mixed", "both discrete"]))
    codes = rng.integers(0, draw(st.integers(2, 6)), size=(n, 1)).astype(float)
    x = codes if kind != "mixed" else np.hstack([codes, rng.standard_normal((n, 1))])
    if kind == "binary":
        x = (x > 0).astype(float)
    y = x[:, :1] + rng.standard_normal((n, 1))
    if kind == "both discrete":
        y = np.round(y)
    return x, y


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=discrete_pairs(), discrete=st.sampled_from(["auto", True, False]))
def test_discrete_and_mixed_columns_give_a_finite_mi_or_a_clear_error(
        data: tuple[np.ndarray, np.ndarray], discrete: object) -> None:
    x, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minee.MineeWarning)
        try:
            est = minee.mutual_information(x, y, seed=0, max_steps=12, discrete=discrete,
                                           advanced={"eval_every": 3, "hidden": 8,
                                                     "min_steps": 0})
        except (ValueError, TypeError) as exc:
            assert str(exc)
            return
    assert np.isfinite(est.value), est
    if discrete is not False and x.shape[1] == 1:
        assert est.discrete, "integer codes not read as discrete"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_the_special_files_themselves_stay(kind: str, tmp_path: Path) -> None:
    target = _make(kind, tmp_path)
    with pytest.raises(ValueError, match="not a regular file"), \
            atomic_write(target, "w") as fh:
        fh.write("x")
    assert not stat.S_ISREG(os.stat(target).st_mode)
