"""A tqdm progress bar on stderr that the engine's evaluation callback can drive."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """Context manager; ``update(engine)`` moves the bar to ``engine.step``.

    Arguments:
        total: steps at the end of the run.
        desc: label.
        enabled: when ``False`` nothing is shown and ``update`` does nothing.
        postfix: optional ``engine -> str`` for the bar's right-hand text.
        initial: the step the run starts from (a resumed run), so the rate is not
            inflated by the steps done before.
    """

    def __init__(self, total: int, desc: str, *, enabled: bool = True,
                 postfix: Any = None, initial: int = 0):
        self.bar = None
        self.postfix = postfix
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr,
                            leave=False, dynamic_ncols=True, initial=initial)

    def update(self, engine: Any) -> None:
        if self.bar is None:
            return
        self.bar.update(engine.step - self.bar.n)
        if self.postfix is not None:
            self.bar.set_postfix_str(self.postfix(engine), refresh=False)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
