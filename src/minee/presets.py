"""Named settings: the paper's, and minee's defaults (chosen by the sweep in benchmarks/).

A preset fills every hyperparameter an estimator leaves as ``None``. ``"paper"`` is the
authors' protocol (REFERENCE-NOTES): batch 100, tiny N(0, 0.02^2) initialisation, no
held-out rows, evaluation after every step, estimates smoothed at rate 0.01.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRESETS"]

# what no preset changes: the estimators' own defaults for these
_COMMON = {"ensemble": 1, "folds": 1, "preprocess": "none", "null": False, "device": "auto",
           "dtype": "float32", "threads": "auto", "auto_batch": 512}

_PAPER = {
    "lr": 1e-4, "batch_size": 100, "ref_factor": 10.0, "max_steps": 20000, "eval_every": 1,
    "hidden": 100, "depth": 2, "activation": "elu", "critic_bound": 0.0, "init": 0.02,
    "val_fraction": 0.0,
    "patience": None, "min_steps": 0, "smoothing": 0.01, "averaging": 0.0, "weight_decay": 0.0,
    "reference": "uniform",
    "margin": 0.0, "form": "separate", "joint_residual": False, "ma_rate": 0.01,
    "scale_inputs": False, "clamp_inputs": False, "compress_tails": False, "whiten": False,
    "objective": "dv", **_COMMON,
}

# The entropy default (and the base of the MI default below), chosen by the sweep in
# benchmarks/README.md ("Defaults sweep"; benchmarks/sweep.py) on MG(0.9) and HG(0.9, 6),
# N = 400, 5 seeds each, judging the final answer:
# - a Gaussian reference (uniform ran away to 10^3-10^4 nats in 12-D);
# - no held-out split by default: at N = 400 the pointwise MI of MG(0.9) has sd 0.75 nats,
#   so an answer read on 80 held-out rows has ~20% sd from the rows alone (sweep: 13%
#   median error, 48% worst), while all 400 rows track the sample's own MI (7%); a fixed
#   budget of 1,000 steps sits between under- and overfitting (2,000 steps: MG 11%,
#   HG 12% median error). Held-out stopping stays available with val_fraction > 0
#   (patience, min_steps below), and is the safer choice for long runs or small samples.
# - reference rows = 2 x batch: as accurate as 4 x (better on both tasks), 60% of the rows.
# - PyTorch's initialisation: N(0, 0.02^2) learns nothing in the first 200 steps on MG.
_DEFAULT = {
    "lr": 3e-3, "batch_size": "auto", "ref_factor": 2.0, "max_steps": 1000, "eval_every": 20,
    "hidden": 64, "depth": 2, "activation": "elu", "critic_bound": 0.0, "init": "torch",
    "val_fraction": 0.0,
    "patience": 10, "min_steps": 200, "smoothing": 0.3, "averaging": 0.0, "weight_decay": 0.0,
    "reference": "gaussian",
    "margin": 0.05, "form": "separate", "joint_residual": False, "ma_rate": 0.01,
    "scale_inputs": True, "clamp_inputs": False, "compress_tails": False,
    "whiten": False,
    "objective": "dv", **_COMMON,
}

# MI and conditional MI (MINEE, CMINEE): chosen by benchmarks/suite.py's sweep on its tuning
# problems (11 problems of 9 families, N = 2,000, seeds 100-101; benchmarks/README.md),
# never on the problems it reports:
# - rank (normal-score) preprocessing: MI is invariant under per-column monotone maps, and
#   heavy tails and outliers no longer drive the critics or the Gaussian reference (mean
#   absolute error 0.156 -> 0.123 nats);
# - the estimate read on 30% held-out rows with early stopping: the critics overfit the
#   rows they train on (independent 10 + 10 columns: 0.44 nats on training rows, 0.03
#   held out); 0.123 -> 0.062 nats;
# - batches of (up to) 256 and a 32-wide critic (64 since, below): 0.072 nats at a quarter
#   of the cost (1.7 vs 6.9 CPU-s per estimate at N = 2,000).
# Entropies keep the data's scale (rank scores would change them), so NEE keeps _DEFAULT but
# with a Student-t reference fitted by maximum likelihood (minee.student_t): on entropy
# tuning problems (Student-t dof 1.5-5 in 1-4 columns, Gaussians, a mixture; N = 2,000,
# seeds 100-101) mean absolute error 0.037 vs 0.043 nats for the Gaussian reference, worst
# 0.103 vs 0.149, and no still_increasing flags; on Gaussian data the fitted dof is large.
# Critic values bounded softly to +-20 nats: a t reference never visits a row far outside
# the bulk (x[0] = 1e6), where an unbounded critic grows without limit and one row of 5,000
# moved H(X) of a standard normal to -46 to -70 nats; bounded: 1.44 (truth 1.42).
# Certifiable log density ratios stay well inside it (ln N = 8.5 at N = 5,000).
# Then (the same 11 tuning problems, seeds 100-103: mean absolute error 0.078 -> 0.037
# nats, worst 0.367 -> 0.162, CPU +13% at equal clock):
# - GELU instead of ELU: on a swirl of X, uniform noise and Student-t (dof 1.5) the ELU
#   critic still rose at its last step on the training rows (it underfit); the GELU critic
#   reaches the truth on them within the same 1,000 steps (0.078 -> 0.047);
# - the joint residual (joint critic = its own network + the marginal critics' values,
#   held fixed): the marginal critics' departures from the reference cancel exactly, where a
#   joint critic learning them anew learned them less fully and read independent Student-t
#   columns at -0.12 nats (-> -0.03; MAE 0.047 -> 0.037).
# - at most 2,000 steps (was 1,000): the hardest problems at N = 5,000 still rose at step
#   1,000 on their training rows; on the tuning problems at N = 5,000 (seeds 100-101) mean
#   absolute error 0.029 -> 0.022, worst 0.136 -> 0.113, mean CPU +30% (median unchanged:
#   held-out early stopping ends most runs long before); at N = 2,000, 0.037 -> 0.036.
# Then (13 tuning problems: the 11 and a 4+4 Student-t with rho = 0 and 2-D uniform noise,
# the two families still failed; N = 2,000, seeds 100-103: mean absolute error 0.077 ->
# 0.054 nats, worst 0.368 -> 0.231, median CPU-s per estimate 2.05 -> 2.75):
# - the critics' weights averaged over steps (Polyak averaging, decay 0.99 after a warm-up
#   that ends at step ~890, so most runs average over fewer steps), and the
#   evaluations and the estimate read the average: the last step's weights carry Adam's
#   step-to-step noise, which a DV bound read on unseen rows pays for (swirl -0.124 ->
#   -0.104, 4+4 Student-t -0.242 -> -0.220);
# - no early stop before step 400: on the uniform noise every run's joint critic learned
#   nothing for its first 200-360 steps (a Gaussian reference matches the data's first two
#   moments, and a critic near its initialisation is close to a quadratic function of its
#   inputs, so its gradient is almost pure minibatch noise) and held-out stopping ended it
#   there, reading the Gaussian part alone (-0.36 nats); by step 400 every run had left
#   that start (-0.18 with the 64-wide critics below; a 600-step minimum gave the same
#   values on the hard problems and took 1.5x the steps on the easy ones, which stop at
#   the first allowed step). Larger initial first-layer
#   weights or biases (x2, x3) also left it, but overfit elsewhere (mean error
#   0.122-0.132 vs 0.128 on 7 problems);
# - 64-wide critics again (the 32-wide ones above were chosen for cost with ELU critics):
#   the 4+4 Student-t -0.220 -> -0.155 nats, all 13 problems 0.059 -> 0.054; at N = 5,000
#   (seeds 100-101) 0.039 -> 0.031, worst 0.218 -> 0.140, CPU +15% at equal clock.
# Whitened critic inputs (0.041), a logistic training objective, a third layer, SiLU or
# tanh, larger batches or references, critics starting at 0 (0.042) or lr 6e-3 (0.037),
# and later a slower average (0.998: the same warm-up, so it differs only past step
# ~890), lr 1e-3, 20% held out, critics bounded to 5 nats, patience 20, a fitted Student-t
# reference (then; adopted below, after the joint residual and the one-state reading),
# weight decay and ref_factor 1 were tried and not adopted (benchmarks/README.md).
# Then, in how the estimate is read rather than in these settings (the engine's selection,
# minee.model._selection; 13 tuning problems, N = 2,000, seeds 100-103: mean absolute error
# 0.054 -> 0.045, worst 0.231 -> 0.192; N = 5,000, seeds 100-101: 0.030 -> 0.025): an MI is
# read at the one evaluation where its smoothed held-out value was highest, every head at
# that state, instead of each head at its own best (4+4 Student-t -0.155 -> -0.103,
# independent Student-t 3+3 -0.028 -> +0.001). Early stopping on that value instead of on
# the heads' own progress stalled the Student-t runs at step 400 (-0.214) and was not kept.
# Then a fitted Student-t reference for every head (14 tuning problems: the 13 and a 6+6
# Student-t with dof 4, rho = 0; N = 2,000, seeds 100-103: mean absolute error 0.053 ->
# 0.042, worst 0.193 -> 0.208; N = 5,000, seeds 100-101: 0.033 -> 0.031, worst 0.146 ->
# 0.167; CPU-s per estimate +22% once scaled by the clock, +10% a step at 5+5 columns:
# the t's reference rows cost a chi-squared draw and a heavier density). Rank scores give
# every column Gaussian marginals, but heavy-tailed dependence survives them (a t copula):
# against a Gaussian reference the joint critic had to learn the whole total correlation
# (1.13 nats for 10 columns, dof 2.5), and the DV reading of it jumped by up to 0.6 nats
# between fresh reference draws (Gaussian rows rarely visit the joint tails), which ended
# training early (6+6 Student-t -0.161 -> -0.045). A fitted t has a large dof on
# Gaussian-like data, where it reads as the Gaussian did (within 0.01 on the rest but the
# 4+4 Student-t at N = 5,000, -0.030 -> -0.075, and independent Student-t blocks, +0.001
# -> -0.016). The interval's allowance shares covered 95.2% of its tuning runs unchanged.
# Then cross-fitting below 1,000 rows (folds="auto": minee.model.AUTO_FOLDS = 3 folds, each
# held out by its own critics, every row read once; the same 14 problems, seeds 100-101):
# at N = 500 one 70/30 split reads 150 rows with critics overfit to 350, and independent
# 5+5 columns read -0.08 to +0.06 nats (seeds 100-107; 3 of 8 within 0.03); three folds
# read -0.017 to +0.010 (8 of 8). Mean absolute error at N = 500: 0.100 -> 0.078 (two folds
# 0.088: each critic trains on half the rows, and the swirl and the mixture lose more than
# the noise gains), at N = 1,000: 0.055 -> 0.053 at 3.4x the CPU (two folds 0.060): not
# worth it there, and from 1,000 rows the default keeps one split. Ending training sooner
# (no minimum before step 200 instead of 400) also quietened independent columns (3 -> 7
# of 8 within 0.03 at N = 500) but stalled uniform noise (N = 1,000: 0.055 -> 0.062).
# Cheaper schedules tried at N = 5,000 (seeds 100-101) and not adopted: evaluating every 40
# steps (patience 5: the same horizon) saved 8% of the CPU and read uniform noise 0.02
# lower; no stop before step 300 took 25% off easy problems, but stopped Student-t 6+6 runs
# in a stall that the default trains through (steps 1,200-1,540), with narrow intervals
# that missed (coverage 0.89 -> 0.82); lr 5e-3 trained 10-12% fewer steps and was better
# at N = 5,000 (0.030 -> 0.029) but worse at N = 2,000 (0.042 -> 0.044).
# Then Student-t scores instead of normal scores (preprocess="rank-t": each column's ranks
# through the quantiles of a t whose dof is that of the ranks' own t copula,
# minee.copula), with every critic input held inside its training rows' range
# (clamp_inputs). On t-copula data the scores are then close to multivariate t, which the
# fitted t reference matches in every column set, and the critics stop at step 400 where
# they trained 1,200-1,700 steps (4+4 and 6+6 Student-t). Without the clamp, heavy scores
# let one far row carry a reading (a 2+2 Student-t with dof 1.5: +0.36 nats in 1 of 2
# runs at the fitted dof, +1.5 in 1 of 4 with dof-2 scores; the GELU critic extrapolates
# linearly beyond its rows); with it the same runs read within 0.015. On the
# 14 tuning problems: N = 5,000 (seeds 100-101) mean absolute error 0.030 -> 0.023, median
# CPU-s per estimate at 11 ms 1.9 -> 1.3; N = 2,000 (seeds 100-103) 0.042 -> 0.036, CI
# coverage 0.96 -> 0.98, 1.4 -> 1.05 CPU-s. One family lost: two independent blocks of
# Student-t columns (whose copula is no t copula; one fitted dof for both blocks gives the
# joint reference a dependence the data lack) -0.018 -> -0.057 at N = 2,000, -0.008 ->
# -0.022 at N = 5,000, intervals still containing 0.
# Then the critics read their inputs in the fitted t reference's units with log-compressed
# tails (compress_tails; minee.critics.compress_tails): where a copula fits a t copula
# with dof ~1 (two Gaussians with correlations +-rho, heavy in all four corners) the
# scores are Cauchy-like, and standardised by a standard deviation their extremes set,
# the bulk reached the critics squeezed near 0: they stopped early and low (seen on the
# reported MG(0.9); a tuning problem of that shape, MG(0.95), was added). On the 15 tuning
# problems: N = 5,000 (seeds 100-101) mean absolute error 0.033 -> 0.022 (MG(0.95)
# -0.177 -> -0.011; the other 14 0.023 -> 0.022), CI coverage 0.83 -> 0.97; N = 2,000
# (seeds 100-103) 0.045 -> 0.035 (MG(0.95) -0.173 -> -0.006); N = 500 (seeds 100-101)
# 0.079 -> 0.068 (MG(0.95) -0.194 -> -0.041). No stop before step 300 (tried with it) took
# 26% off the 5+5 calls at the same values, but stalled 2-D uniform noise at N = 2,000 (2
# of 4 runs stopped at step 300, 0.35 nats low); the 400-step minimum stays.
# Then the Student-t reference became, per member, one t per variable where a
# likelihood-ratio test (Box-corrected, 5%) does not show the variables dependent
# (minee.student_t.fit_member; the reference itself, not a setting): one t couples
# independent heavy-tailed blocks through its shared scale variable, and fitted to
# independent wide blocks it holds chance dependence in its cross-scale terms. Charging
# the joint t for all its parameters instead (Akaike) read weak dependence over wide blocks
# 0.1-0.28 nats low. A tuning problem of that kind was added (dense 20+20 Gaussians, MI
# 0.086). On the 16 tuning problems only the two independent ones changed (every other run
# bit for bit as before): independent Student-t 3+3 -0.024 -> -0.003 (N = 5,000), -0.057
# -> -0.004 (2,000), -0.052 -> -0.006 (500); mean absolute error 0.021 -> 0.019, 0.034 ->
# 0.030, 0.064 -> 0.061.
# 1.5 reference rows per data row instead of 2 cost 0.92 of the CPU but read uniform
# noise lower at every size (tuning and report alike, by 0.005-0.02 nats): not adopted.
_MI = {**_DEFAULT, "preprocess": "rank-t", "clamp_inputs": True, "compress_tails": True,
       "val_fraction": 0.3, "auto_batch": 256, "activation": "gelu", "joint_residual": True,
       "max_steps": 2000, "averaging": 0.99, "min_steps": 400, "reference": "student",
       "folds": "auto"}

#: Per preset, per estimator kind ("mi", "mine", "infonce", "entropy"), the full settings.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "paper": {
        "mi": _PAPER,
        "entropy": _PAPER,
        "mine": {**_PAPER, "hidden": 300, "ref_factor": 1.0, "reference": "marginals",
                 "objective": "ma"},
        "infonce": {**_PAPER, "reference": "marginals", "objective": "infonce"},
    },
    "default": {
        "mi": _MI,
        "entropy": {**_DEFAULT, "reference": "student", "critic_bound": 20.0},
        "mine": {**_DEFAULT, "ref_factor": 1.0, "reference": "marginals", "lr": 1e-3,
                 "objective": "ma"},
        # batch 128: the B x B contrast grid costs B^2 critic rows a step, and the bound
        # cannot exceed ln B = 4.85 nats
        # evaluated every 50 steps: each evaluation reads n / B grids of B^2 rows
        "infonce": {**_DEFAULT, "reference": "marginals", "objective": "infonce",
                    "batch_size": 128, "lr": 1e-3, "eval_every": 50},
    },
}

