"""Reading data files and selecting columns (minee.data.io)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from minee.data.io import numeric_matrix, read_table, select_columns

FRAME = pd.DataFrame({"a1": [0.1, 0.2, 0.3], "a2": [1.0, 2.0, 4.0], "b": [5.0, 6.0, 8.0],
                      "label": ["u", "v", "w"]})


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".txt", ".parquet", ".csv.gz"])
def test_tables_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        FRAME.to_parquet(path)
    else:
        FRAME.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    df = read_table(path)
    assert list(df.columns) == list(FRAME.columns)
    np.testing.assert_allclose(numeric_matrix(df, ["a1", "b"]), FRAME[["a1", "b"]].to_numpy())


def test_numpy_files(tmp_path: Path) -> None:
    x = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "x.npy", x)
    df = read_table(tmp_path / "x.npy")
    assert list(df.columns) == ["0", "1", "2"]
    np.testing.assert_array_equal(df.to_numpy(), x)
    np.savez(tmp_path / "xy.npz", x=x, y=np.ones(4))
    df = read_table(tmp_path / "xy.npz")
    assert list(df.columns) == ["x[0]", "x[1]", "x[2]", "y"]
    assert select_columns(df, "x") == ["x[0]", "x[1]", "x[2]"]  # an array's name: all its columns
    np.save(tmp_path / "v.npy", np.arange(5.0))
    assert list(read_table(tmp_path / "v.npy").columns) == ["0"]


@pytest.mark.parametrize(("spec", "expected"), [
    ("a1,b", ["a1", "b"]),
    ("0,2", ["a1", "b"]),
    ("-1", ["label"]),
    ("0:2", ["a1", "a2"]),
    (":2", ["a1", "a2"]),
    ("2:", ["b", "label"]),
    ("a2:label", ["a2", "b", "label"]),
    ("b, a1 ,b", ["b", "a1"]),            # order kept, spaces and repeats dropped
    (["a1", 2], ["a1", "b"]),
])
def test_select_columns(spec: object, expected: list[str]) -> None:
    assert select_columns(FRAME, spec) == expected


def test_names_win_over_indices() -> None:
    df = pd.DataFrame({"1": [0.0], "x": [1.0]})
    assert select_columns(df, "1") == ["1"]


@pytest.mark.parametrize(("spec", "message"), [
    ("nope", "unknown column 'nope'"),
    ("7", "out of range"),
    ("", "selects no columns"),
    (" , ", "selects no columns"),
    ("3:1", "selects no columns"),
])
def test_select_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        select_columns(FRAME, spec, option="--x")


def test_numeric_matrix_errors() -> None:
    with pytest.raises(ValueError, match="'label' is not numeric"):
        numeric_matrix(FRAME, ["a1", "label"])
    gaps = pd.DataFrame({"a": [1.0, np.nan, 3.0]})
    with pytest.raises(ValueError, match="missing, NaN or infinite"):
        numeric_matrix(gaps, ["a"])


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_table(tmp_path / "absent.csv")
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(ValueError, match="unknown file type '.xlsx'"):
        read_table(tmp_path / "data.xlsx")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="cannot read .* as PARQUET"):
        read_table(tmp_path / "bad.parquet")
    (tmp_path / "bad.npy").write_bytes(b"\x00\x01garbage")
    with pytest.raises(ValueError, match="cannot read .* as NPY"):
        read_table(tmp_path / "bad.npy")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="cannot read"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="holds no data"):
        read_table(tmp_path / "header.csv")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="need 1-D"):
        read_table(tmp_path / "cube.npy")
    np.savez(tmp_path / "ragged.npz", x=np.zeros(3), y=np.zeros(4))
    with pytest.raises(ValueError, match="different numbers of rows"):
        read_table(tmp_path / "ragged.npz")
    with pytest.raises(ValueError, match="is a directory"):
        read_table(tmp_path)


def test_a_european_csv_is_read_with_its_separator_and_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "euro.csv"
    path.write_text("a;b\n1,5;2,25\n-0,5;3,0\n2,0;1,0\n")
    df = read_table(path)
    assert list(df.columns) == ["a", "b"]
    assert df["a"].tolist() == [1.5, -0.5, 2.0] and df["b"].tolist() == [2.25, 3.0, 1.0]


def test_rows_with_more_fields_than_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match="more fields than the header"):
        read_table(path)


def test_header_names_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "spaced.csv"
    path.write_text("a, b\n1,2\n3,4\n")
    assert list(read_table(path).columns) == ["a", "b"]
