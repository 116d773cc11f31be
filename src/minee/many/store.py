"""Finished chunks of a table job on disk, so that an interrupted job continues.

A job (:func:`minee.many.parallel.compute`) is many independent chunks; a store is a
folder holding each finished chunk's result as a checksummed file
(:func:`minee.files.save_checked`, written atomically) and a manifest naming the job: a
SHA-256 of its rows, its columns and pairs, its settings (seed included) and its chunk
size. A store opened for the same job returns the chunks found there, and the job computes
only the others, to the same numbers (a chunk's result depends only on its data, columns,
settings and seed); a store of another job is refused, never mixed in.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..files import atomic_write, load_checked, save_checked

if TYPE_CHECKING:
    from ..settings import Settings
    from .jobs import Entropies, PairResult

__all__ = ["ChunkStore", "job_fingerprint", "kept_chunks"]

_KIND = "minee-chunk-1"
_MANIFEST = "job.json"
_SUFFIX = ".chunk"
_ADVICE = "delete the store's folder to start the job again"


def job_fingerprint(data: np.ndarray, needed: Sequence[int],
                    pairs: Sequence[tuple[int, int]], settings: Settings,
                    chunk_size: int) -> str:
    """SHA-256 (hex) of everything a job's numbers depend on: its rows, columns and pairs,
    settings, chunk size, the device type it trains on and the minee and torch versions
    (chunks of another version or device are not mixed in)."""
    import torch

    from .. import __version__
    from ..data.inputs import resolve_device

    digest = hashlib.sha256(np.ascontiguousarray(data, dtype=np.float64).tobytes())
    described = {"shape": list(data.shape), "needed": list(map(int, needed)),
                 "pairs": [list(map(int, p)) for p in pairs], "chunk_size": chunk_size,
                 "settings": settings.to_dict(), "minee": __version__,
                 "torch": torch.__version__,
                 "device": resolve_device(settings.device).type}
    digest.update(json.dumps(described, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def kept_chunks(folder: str | os.PathLike[str]) -> int:
    """How many finished chunks the store ``folder`` holds."""
    return sum(1 for _ in Path(folder).glob(f"*{_SUFFIX}"))


class ChunkStore:
    """The folder of one job's finished chunks.

    Arguments:
        folder: the store; created (with its manifest) if it does not exist.
        fingerprint: the job's :func:`job_fingerprint`.

    Raises:
        ValueError: the folder holds another job's chunks, or is not a store.
    """

    def __init__(self, folder: str | os.PathLike[str], fingerprint: str):
        self.folder, self.fingerprint = Path(folder), fingerprint
        manifest = self.folder / _MANIFEST
        if manifest.exists():
            try:
                found = json.loads(manifest.read_text()).get("job")
            except (ValueError, AttributeError):
                found = None
            if found != fingerprint:
                raise ValueError(f"{self.folder} holds the finished chunks of another job "
                                 "(other data, columns, settings or seed); give another "
                                 f"folder, or {_ADVICE}")
        elif self.folder.exists() and any(self.folder.iterdir()):
            raise ValueError(f"{self.folder} exists and is not a minee chunk store; give a "
                             "new or empty folder")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_write(manifest, "w") as fh:
                json.dump({"job": fingerprint, "format": _KIND}, fh)

    def load(self, name: str) -> Entropies | PairResult | None:
        """The stored result of chunk ``name``, or ``None`` if it is not there yet."""
        from .jobs import Entropies, PairResult

        path = self.folder / f"{name}{_SUFFIX}"
        if not path.exists():
            return None
        saved = load_checked(path, _KIND, what="a finished chunk of this job",
                             advice=_ADVICE)
        arrays = {k: v.numpy() for k, v in saved["arrays"].items()}
        kind = Entropies if saved["type"] == "entropies" else PairResult
        return kind(**arrays, diagnostics=saved["diagnostics"])

    def save(self, name: str, result: Entropies | PairResult) -> None:
        """Write chunk ``name``'s result (atomically: a kill leaves it whole or absent)."""
        import torch

        from .jobs import Entropies

        fields: dict[str, Any] = vars(result)
        arrays = {k: torch.from_numpy(np.asarray(v)) for k, v in fields.items()
                  if k != "diagnostics"}
        save_checked(self.folder / f"{name}{_SUFFIX}",
                     {"type": "entropies" if isinstance(result, Entropies) else "pairs",
                      "arrays": arrays, "diagnostics": list(result.diagnostics)}, _KIND)
