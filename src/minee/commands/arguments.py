"""The command line's argument types and option groups, shared by the ``minee`` subcommands.

Argument types turn bad values into usage errors (exit 2) before any work; option groups
add the options several commands take, and turn the parsed ones back into the library's
keyword arguments. Nothing here imports the library, numpy or pandas: ``minee --help``
builds every parser (:class:`Registry` reads a library registry only when asked).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from typing import Any

__all__ = [
    "seed", "finite_float", "batch_size", "positive_int", "positive_or_auto", "Registry",
    "command_parser", "add_training_arguments", "estimator_options", "add_shared_options",
    "shared_options",
]

SEED_LIMIT = 2**63  # seeds are stored as int64 (torch and numpy generators take them)


# -- argument types: argparse turns ArgumentTypeError into a usage error (exit 2) ----------

def seed(text: str) -> int:
    """An integer seed in ``[0, 2**63)``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(
            f"expected a seed from 0 to 2**63 - 1, got {text}")
    return value


def finite_float(text: str) -> float:
    """A finite number: nan and inf are rejected here, not deep inside training."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def batch_size(text: str) -> int | str:
    """An integer (the estimator checks its range) or ``"auto"``."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {text!r}"
                                         ) from None


# -- option groups ---------------------------------------------------------------------------

def command_parser(subparsers: Any, name: str, *, help: str, description: str,
                   epilog: str) -> argparse.ArgumentParser:
    """A subcommand's parser with the FILE argument and the usual description ending."""
    parser = subparsers.add_parser(
        name, help=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"{description} (CSV, TSV, Parquet, .npy, .npz), in nats, with a 95% "
                    "confidence interval and diagnostics.")
    parser.add_argument("file", metavar="FILE", help="data file, one row per sample")
    return parser


class Registry:
    """Argparse ``choices`` read from one of the library's registries when first needed,
    so that ``minee --help`` does not import torch (which the registries' modules do).
    Give the option a ``metavar``: argparse would otherwise list the choices when the
    parser is built.

    Arguments:
        module: the module under ``minee`` holding the registry.
        table: the registry's name in it (a dict or tuple of names).
        density: keep only references with a known density (entropic estimators).
        built_in: names known to be registered, accepted without importing the registry
            (so that a command's input errors still answer before torch is imported);
            any other name is looked up there (plugins register theirs).
    """

    def __init__(self, module: str, table: str, *, density: bool = False,
                 built_in: tuple[str, ...] = ()):
        self.module, self.table, self.density = module, table, density
        self.built_in = built_in

    def names(self) -> list[str]:
        import importlib

        if self.module == "registry":  # the built-in estimators register on import
            importlib.import_module("minee.estimation.estimators")
        registry = getattr(importlib.import_module(f"minee.{self.module}"), self.table)
        if self.density:
            return [n for n, entry in registry.items() if entry.has_density]
        return list(registry)

    def __contains__(self, name: object) -> bool:
        return name in self.built_in or name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


#: the built-in methods and references with a density (tests check them against the
#: registries)
BUILT_IN_METHODS = ("minee", "mine", "infonce")
BUILT_IN_REFERENCES = ("uniform", "gaussian", "student", "mixture", "auto")


def positive_int(text: str) -> int:
    """An option's positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_or_auto(text: str) -> int | str:
    """``--threads``, ``--folds``: ``auto`` or a positive integer."""
    return text if text == "auto" else positive_int(text)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that fit one estimator: output, seed and hyperparameters."""
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--plot", metavar="OUT", help="write the training curves (.png, .pdf, .svg)")
    out.add_argument("--truth", type=finite_float, metavar="NATS",
                     help="true value, drawn on --plot")
    out.add_argument("--save", metavar="MODEL",
                     help="write the fitted model (read back with minee.load)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    hp = parser.add_argument_group("estimator (default: the preset's value)")
    hp.add_argument("--seed", type=seed, help="integer seed for reproducible numbers")
    hp.add_argument("--preset", choices=Registry("presets", "RECIPES"), default="default",
                    metavar="NAME", help="default or paper")
    hp.add_argument("--ensemble", type=int, default=1, metavar="K",
                    help="train K critics; the estimate is their mean (default 1)")
    hp.add_argument("--folds", type=positive_or_auto, metavar="F|auto",
                    help="cross-fit: each of F disjoint folds held out by its own critics, "
                         "every row read once (F times the cost)")
    hp.add_argument("--preprocess", choices=Registry("data.preprocessing", "CHOICES"),
                    default=None, metavar="NAME",
                    help="per-column transform first: none, standardize, rank (normal "
                         "scores), rank-t (Student-t scores, the dof of the ranks' t "
                         "copula), auto (rank-t or standardize, whichever held-out rows "
                         "prefer: the MI default) or edges (bounded columns mapped onto "
                         "the line: the entropy default); rank and rank-t keep MI but "
                         "change entropies")
    hp.add_argument("--max-steps", type=int, metavar="N")
    hp.add_argument("--lr", type=finite_float)
    hp.add_argument("--batch-size", type=batch_size, metavar="N|auto")
    hp.add_argument("--val-fraction", type=finite_float, metavar="F",
                    help="share of rows held out for the estimate and early stopping")
    hp.add_argument("--patience", type=int, metavar="N",
                    help="evaluations without held-out improvement before stopping")
    hp.add_argument("--reference", choices=Registry("registry", "REFERENCES", density=True,
                                                    built_in=BUILT_IN_REFERENCES),
                    metavar="NAME",
                    help="reference distribution with a density: student (default), "
                         "gaussian, uniform, or a registered one (MI-NEE and entropy only)")
    hp.add_argument("--ref-factor", type=finite_float, metavar="F")
    hp.add_argument("--hidden", type=int, metavar="N", help="critic width")
    hp.add_argument("--max-rows", type=int, metavar="N",
                    help="above N rows read a seeded subsample of N (default 10000)")
    hp.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    hp.add_argument("--threads", type=positive_or_auto, default="auto", metavar="N|auto",
                    help="torch threads during the fit (default auto: one for small models, "
                         "a count set by OMP_NUM_THREADS kept)")


def estimator_options(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator keyword arguments given on the command line (recipe settings such as
    ``--lr`` and ``--hidden`` go into ``advanced``)."""
    names = ("seed", "preset", "ensemble", "folds", "max_steps", "val_fraction", "reference",
             "device", "threads")
    options = {name: getattr(args, name) for name in names}
    options["progress"] = not args.quiet
    advanced = {name: getattr(args, name) for name in ADVANCED}
    options["advanced"] = {k: v for k, v in advanced.items() if v is not None} or None
    return {k: v for k, v in options.items() if v is not None}


#: the recipe settings the command line takes (passed as ``advanced``)
ADVANCED = ("preprocess", "lr", "batch_size", "patience", "ref_factor", "hidden", "max_rows")


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """Options common to ``matrix`` and ``relevance``."""
    parser.add_argument("--seed", type=seed, default=None,
                        help="integer seed; the same seed gives the same numbers locally and "
                             "on a cluster (default: drawn, and printed so that the run can "
                             "be repeated)")
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="a Dask scheduler address (tcp://host:8786): run the chunks as "
                             "Dask tasks there; minee must be installed on the workers")
    parser.add_argument("--timeout", type=finite_float, default=10.0, metavar="SECONDS",
                        help="wait this long for --scheduler to answer (default 10)")
    parser.add_argument("--chunk-size", type=int, metavar="N",
                        help="problems per batched model and per task (default: 16 on CPU, "
                             "256 on a GPU)")
    parser.add_argument("--max-steps", type=int, metavar="N",
                        help="most training steps per chunk (default: the preset's)")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    parser.add_argument("--threads", type=positive_or_auto, default="auto", metavar="N|auto",
                        help="torch threads per chunk (default auto: one for small models)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--store", metavar="DIR",
                        help="keep each finished chunk in DIR as it finishes (default: "
                             "--out's name plus .parts, removed once --out is written)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from its kept chunks (the same "
                             "command and options): the numbers are an uninterrupted run's")


def shared_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`minee.mi_matrix` / :func:`minee.relevance`."""
    options: dict[str, Any] = {"seed": args.seed, "scheduler": args.scheduler,
                               "chunk_size": args.chunk_size, "device": args.device,
                               "threads": args.threads, "timeout": args.timeout,
                               "progress": not args.quiet}
    if args.max_steps is not None:
        options["max_steps"] = args.max_steps
    return options
