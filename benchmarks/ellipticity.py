"""Is a law elliptical? The radius-direction test on the tune problems.

Where the Student-t reference is kept and the critics learn nothing on held-out rows, an
MI estimate is the fitted t's own reading: exact for elliptical dependence, and silent
about any other. An elliptical law, whitened by its scatter, has a direction independent
of its radius, so each row's ``ln r`` is uncorrelated with every product ``u_i u_j`` of
its direction ``u``. The statistic is the squared norm of their covariances with the
standardised ``ln r``, about the fitted t's centre; its permutation null (``ln r``
shuffled) gives a p-value and the ratio of the statistic to the null mean
(``minee.training.ellipticity``, 199 permutations), on the rank-t scores the MI default
reads. The tune sets of ``suite.py`` and ``shapes.py`` plus three instances of our
own; rows to ``results/ellipticity-tune.jsonl``.

    python benchmarks/ellipticity.py
"""

from __future__ import annotations

import time

import numpy as np
import shapes
import suite
from common import RESULTS, append_jsonl

import minee.tasks
from minee.data.preprocessing import transform
from minee.training.ellipticity import radius_direction
from minee.training.student_fit import fit_student_t

#: more problems: a curved law in 20 + 20 columns, the same untwisted, a dense Gaussian
OWN = {
    "own curved 20-D mi2.5 tw0.3": ("curved", {"d": 20, "active": 3, "mi": 2.5,
                                               "twist": 0.3}),
    "own untwisted 20-D mi2.5": ("curved", {"d": 20, "active": 3, "mi": 2.5, "twist": 0.0}),
    "own gaussian dense 15+15": ("gaussian", {"dx": 15, "dy": 15, "kind": "dense",
                                              "strength": 0.3, "seed": 3}),
}


def main() -> None:
    problems = {**suite.TUNE,
                **{k: (v[1], v[2]) for k, v in shapes.SETS["tune"].items() if v[0] == "mi"},
                **OWN}
    for problem, (name, params) in problems.items():
        task = minee.tasks.get(name, **params)
        for seed in (100, 101):
            x, y = task.sample(5000, seed=seed)
            z, _ = transform(np.column_stack([np.reshape(x, (5000, -1)),
                                              np.reshape(y, (5000, -1))]), "rank-t")
            cpu = time.process_time()  # the t's fit included: the library reuses its own
            test = radius_direction(z, fit_student_t(z)[0], seed)  # about the t's centre
            assert test is not None
            ratio, p = test
            row = {"problem": problem, "seed": seed, "columns": z.shape[1], "ratio": ratio,
                   "p": p, "truth": task.mutual_information,
                   "cpu_s": time.process_time() - cpu}
            append_jsonl(RESULTS / "ellipticity-tune.jsonl", row)
            print(f"{problem:30s} seed {seed} D {z.shape[1]:2d}: ratio {ratio:6.2f} "
                  f"p {p:.3f} ({row['cpu_s']:.2f} CPU-s)", flush=True)


if __name__ == "__main__":
    main()
