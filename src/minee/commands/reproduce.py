"""``minee reproduce fig1|fig2|all``: the paper's Figures 1 and 2 on several seeds."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from typing import Any

from .common import check_folder, finite_float, seed, side_write

__all__ = ["add_parser", "run"]

EXAMPLES = """examples:
  minee reproduce fig1 --seeds 3 --steps 3000 --eval-every 10 --out results
  minee reproduce all --out results                  # the paper's horizons (hours on a CPU)
  minee reproduce fig2 --out results --resume        # continue an interrupted run
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``minee reproduce``."""
    p = subparsers.add_parser(
        "reproduce", help="reproduce the paper's Figures 1 and 2 (MI-NEE vs MINE)",
        description="Train MI-NEE and MINE with the paper's settings on several samples "
                    "(seeds) at once and write figures, curves (CSV), a JSON summary and a "
                    "table of when each reaches 90%% of the true MI. Ctrl-C or SIGTERM "
                    "stops at the next evaluation and leaves a checkpoint (exit status 130 "
                    "or 143); --resume continues it.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("figure", choices=("fig1", "fig2", "all"))
    p.add_argument("--seeds", type=int, default=5, help="samples of 400 rows (default 5)")
    p.add_argument("--first-seed", type=seed, default=0, help="first seed (default 0)")
    p.add_argument("--steps", type=int, default=None,
                   help="iterations (default: the paper's, 100000 for fig1, 30000 for fig2)")
    p.add_argument("--eval-every", type=int, default=1,
                   help="evaluate the estimate every K iterations (paper: 1)")
    p.add_argument("--cross", action="store_true",
                   help="also cross-train: MINE's loss on the trained MI-NEE critics")
    p.add_argument("--cross-steps", type=int, default=None,
                   help="iterations of the cross-training phase (default: --steps)")
    p.add_argument("--out", default="results", help="output folder (default ./results)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/<figure>.ckpt")
    p.add_argument("--checkpoint-every", type=finite_float, default=30.0,
                   help="seconds between checkpoints, the first right after the first "
                        "evaluation (default 30)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG/PDF figures")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Reproduce the figure(s) into --out, then print the table of 90% crossings."""
    check_folder(args.out)  # an unusable --out fails now, not after hours of training
    # the library (torch) is imported here, not at the top: 'minee --help' stays fast
    from ..paper.experiments import Interrupted, format_table, reproduce

    figures = ["fig1", "fig2"] if args.figure == "all" else [args.figure]
    resume = dict.fromkeys(figures, args.resume)
    if args.resume and args.figure == "all":
        # 'all' stopped in Figure 1 left no checkpoint of Figure 2: that one starts afresh
        found = {f: os.path.exists(os.path.join(args.out, f"{f}.ckpt")) for f in figures}
        resume = found if any(found.values()) else resume
    summaries = []
    start = time.monotonic()
    try:
        for figure in figures:
            summaries.append(reproduce(
                figure, seeds=args.seeds, first_seed=args.first_seed, steps=args.steps,
                eval_every=args.eval_every, cross=args.cross, cross_steps=args.cross_steps,
                out=args.out, resume=resume[figure], checkpoint_every=args.checkpoint_every,
                progress=not args.quiet, plot=not args.no_plot))
    except Interrupted as exc:
        print(f"minee reproduce: {_stopped(exc.signum, exc.checkpoint, args)}",
              file=sys.stderr)
        return 128 + (exc.signum or signal.SIGINT)  # the shell's status for that signal
    print(format_table(summaries))
    sys.stdout.flush()  # the table is out before the summary write can fail
    _write_summary(summaries, os.path.join(args.out, "summary.json"))
    kinds = ".csv/.json" if args.no_plot else ".png/.pdf/.csv/.json"
    print(f"\nwrote {', '.join(f'{f}{kinds}' for f in figures)} to {args.out} "
          f"in {time.monotonic() - start:.0f} s", file=sys.stderr)
    return 0


def _stopped(signum: int | None, checkpoint: os.PathLike | None,
             args: argparse.Namespace) -> str:
    """One line: what stopped the run, where its checkpoint is, and how to continue."""
    cause = "interrupted" if signum in (None, signal.SIGINT) else \
        f"stopped by {signal.Signals(signum).name}"
    if checkpoint is None:
        return f"{cause} before the first checkpoint; rerun the command to start again"
    words = ["minee", "reproduce", args.figure, "--seeds", str(args.seeds), "--first-seed",
             str(args.first_seed), "--eval-every", str(args.eval_every)]
    for flag, value in (("--steps", args.steps), ("--cross-steps", args.cross_steps)):
        words += [flag, str(value)] if value is not None else []
    words += (["--cross"] if args.cross else []) + (["--no-plot"] if args.no_plot else [])
    return (f"{cause}; checkpoint in {checkpoint}; continue with: "
            f"{shlex.join([*words, '--out', str(args.out), '--resume'])}")


def _write_summary(summaries: list[dict[str, Any]], path: str) -> None:
    """Write the figures' public summaries (no curves) to ``path`` as JSON, atomically,
    keeping the other figure's summary if ``path`` holds one (runs of one figure at a time
    build up one file)."""
    from ..files import atomic_write
    from ..paper.experiments import FIGURES

    public = {s["figure"]: {k: v for k, v in s.items() if not k.startswith("_")}
              for s in summaries}
    try:
        with open(path) as fh:
            earlier = json.load(fh)
    except (OSError, ValueError):  # none yet, or unreadable: this run's figures only
        earlier = {}
    if isinstance(earlier, dict):
        public = {**{k: v for k, v in earlier.items() if k in FIGURES}, **public}

    def write() -> None:
        with atomic_write(path, "w") as fh:
            json.dump(public, fh, indent=2)
            fh.write("\n")

    side_write(path, write)
