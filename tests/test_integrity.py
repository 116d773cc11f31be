"""Model files and checkpoints: checksummed, code-free, and refused when damaged or forged.

Every test works on real files written by ``minee.save`` or ``reproduce``; the malicious
files are real pickles that run a shell command when unpickled without ``weights_only``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import minee
from minee import persistence, tasks
from minee.files import load_checked
from minee.paper import experiments
from tests.conftest import quick

TINY = {"seeds": 2, "steps": 20, "eval_every": 5, "plot": False}


class Payload:
    """Creates ``marker`` when unpickled (``os.system``): what a malicious file does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def malicious_pickle(path: Path, marker: Path, **entries: object) -> None:
    """Write, as a plain ``torch.save`` does, a dict that runs code when loaded unsafely."""
    torch.save({**entries, "attack": Payload(marker)}, path)


def forge(path: Path, state: object) -> None:
    """Replace the payload of the checked file at ``path`` by ``state``, with a correct
    checksum: what someone who knows the file format could write."""
    container = torch.load(path, weights_only=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    digest = hashlib.sha256()
    for part in (container["format"].encode(), b"\0", container["layout"].encode(), b"\0",
                 payload):
        digest.update(part)
    container["sha256"] = digest.hexdigest()
    container["payload"] = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
    with open(path, "wb") as fh:  # as minee writes it: through an open file
        torch.save(container, fh)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A saved MI-NEE model and its estimate."""
    x, y = tasks.get("hg", rho=0.8, d=1).sample(400, seed=0)
    fitted = minee.MINEE(seed=0, **quick(batch_size=100)).fit(x, y)
    path = minee.save(fitted, tmp_path_factory.mktemp("model") / "model.pt")
    return path, fitted.estimate_.to_dict()


def test_the_malicious_pickle_runs_code_when_loaded_unsafely(tmp_path: Path) -> None:
    # the payload of the tests below is real: an unsafe load creates the marker
    malicious_pickle(tmp_path / "evil.pt", tmp_path / "marker")
    torch.load(tmp_path / "evil.pt", weights_only=False)
    assert (tmp_path / "marker").exists()


@pytest.mark.parametrize("how", ["plain file", "forged container"])
def test_a_model_file_with_code_is_refused_and_not_run(tmp_path: Path, model: tuple,
                                                       how: str) -> None:
    path, marker = tmp_path / "model.pt", tmp_path / "marker"
    shutil.copy(model[0], path)
    if how == "plain file":
        malicious_pickle(path, marker, format=persistence.FORMAT)
    else:  # a correct checksum over a payload holding code
        forge(path, {"params": {}, "attack": Payload(marker)})
    stage = "not a minee model file" if how == "plain file" else "unreadable payload"
    with pytest.raises(ValueError, match=f"{stage}.*save the fitted estimator again"):
        minee.load(path)
    assert not marker.exists()


def test_every_flipped_byte_is_refused(tmp_path: Path, model: tuple) -> None:
    source, estimate = model
    data = source.read_bytes()
    assert minee.load(source).estimate_.to_dict() == estimate  # the original loads
    positions = [*range(0, len(data), max(1, len(data) // 60)), len(data) - 1]
    assert len(positions) >= 30
    for i, pos in enumerate(positions):
        damaged = bytearray(data)
        damaged[pos] ^= 0xFF if i % 2 else 0x01  # a whole byte, or its lowest bit
        path = tmp_path / f"flip{pos}.pt"  # a fresh copy for each position
        path.write_bytes(bytes(damaged))
        with pytest.raises(ValueError, match="save the fitted estimator again"):
            minee.load(path)


def test_truncated_and_empty_model_files_are_refused(tmp_path: Path, model: tuple) -> None:
    data = model[0].read_bytes()
    for size in (0, 1, 100, len(data) // 2, len(data) - 1):
        path = tmp_path / f"cut{size}.pt"
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match="empty" if size == 0 else "minee model"):
            minee.load(path)


def test_a_forged_model_without_params_is_a_value_error(tmp_path: Path,
                                                        model: tuple) -> None:
    path = tmp_path / "model.pt"
    shutil.copy(model[0], path)
    state = load_checked(path, persistence.FORMAT, what="", advice="")
    del state["params"]
    forge(path, state)
    with pytest.raises(ValueError, match="not a complete minee model"):
        minee.load(path)
    state["params"] = {"no_such_option": 1}  # present, but does not fit the class
    forge(path, state)
    with pytest.raises(ValueError, match="inconsistent minee model"):
        minee.load(path)


def test_a_model_file_of_the_first_format_is_refused(tmp_path: Path) -> None:
    torch.save({"format": "minee-model-1", "params": {}}, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="format 'minee-model-1'"):
        minee.load(tmp_path / "old.pt")


# checkpoints ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkpoint of a finished small fig1 run."""
    out = tmp_path_factory.mktemp("run")
    experiments.reproduce("fig1", out=out, **TINY)
    return out / "fig1.ckpt"


def _resume(ckpt: Path) -> dict:
    return experiments.reproduce("fig1", out=ckpt.parent, resume=True, **TINY)


@pytest.mark.parametrize("how", ["plain file", "forged container"])
def test_a_checkpoint_with_code_is_refused_and_not_run(tmp_path: Path, checkpoint: Path,
                                                       how: str) -> None:
    ckpt, marker = tmp_path / "fig1.ckpt", tmp_path / "marker"
    shutil.copy(checkpoint, ckpt)
    if how == "plain file":
        malicious_pickle(ckpt, marker, version=experiments.CHECKPOINT_VERSION)
    else:
        forge(ckpt, {"version": experiments.CHECKPOINT_VERSION, "attack": Payload(marker)})
    stage = "not a minee reproduce checkpoint" if how == "plain file" else "unreadable"
    with pytest.raises(ValueError, match=f"{stage}.*delete it and rerun without --resume"):
        _resume(ckpt)
    assert not marker.exists()


def test_damaged_checkpoints_are_refused(tmp_path: Path, checkpoint: Path) -> None:
    data = checkpoint.read_bytes()
    ckpt = tmp_path / "fig1.ckpt"
    for pos in np.linspace(0, len(data) - 1, 12).astype(int):
        damaged = bytearray(data)
        damaged[pos] ^= 0xFF
        ckpt.write_bytes(bytes(damaged))
        with pytest.raises(ValueError, match="delete it and rerun without --resume"):
            _resume(ckpt)
    for size in (0, len(data) // 2):
        ckpt.write_bytes(data[:size])
        with pytest.raises(ValueError, match="delete it and rerun without --resume"):
            _resume(ckpt)
    shutil.copy(checkpoint, ckpt)
    state = load_checked(ckpt, experiments.CHECKPOINT_KIND, what="", advice="")
    del state["engines"]["mine"]["critic"]  # checksummed again: only the content is wrong
    forge(ckpt, state)
    with pytest.raises(ValueError, match="does not fit"):
        _resume(ckpt)
    shutil.copy(checkpoint, ckpt)
    assert _resume(ckpt)["methods"]["minee"]["steps"] == 20  # the intact copy resumes
