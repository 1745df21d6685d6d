"""A prior on the temperature: log loss, cost and EM under prior shift.

``calibration="temperature"`` fits ``q = softmax(log p / T + b)``; with a few
minority rows among the calibration rows, ``T`` is poorly determined, so the
map puts a Gaussian prior on ``log(1 / T)`` whose width cross-validation on the
calibration rows picks (``skweight._calibration.prior_width``). This script
refits the map, on the very rows each fit calibrated on, under other priors and
scores each on the test rows:

* ``unpenalised``: no prior (plain Platt / temperature scaling);
* ``sd 0.4`` ... ``sd 0.05``: a Gaussian prior of that standard deviation, for
  the total weight of the calibration rows;
* ``bias only``: ``T = 1``, the bias alone;
* ``Cauchy 0.2`` ... ``Cauchy 0.05``: a heavy-tailed prior of that scale;
* ``skweight: Gaussian, width by CV``: skweight's map.

Networks: the balanced MLP of ``benchmarks/probabilities.py`` calibrated on its
10 % early-stopping split ("one network"), and five cross-fitted members
calibrated on every training row out of fold ("members"). Problems: the binary
sets of ``costs`` (3 splits) and the synthetic problem of ``shift``. Scores: the
test log loss; the normalised cost of the Bayes rule with ``C = [[0, 1], [5,
0]]`` on the test rows as they are; and, on the test rows subsampled to 0.5, 2,
5 and 10 times the training prior (5 draws per split, as in ``shift``), the
mean cost of the Bayes rule after EM (``em_priors``) above that with the true
priors.

    KERAS_BACKEND=tensorflow python benchmarks/temperature_prior.py
    # benchmarks/calibration_default.py with one of these maps instead:
    KERAS_BACKEND=tensorflow python benchmarks/temperature_prior.py \
        --on-calibration-default "unpenalised"
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402
import probabilities as pb  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

import skweight._calibrated as calibrated  # noqa: E402
import skweight._calibration as calibration  # noqa: E402
from skweight import mean_cost, normalized_cost  # noqa: E402
from skweight._ensemble import mean_corrected_proba  # noqa: E402
from skweight._prior_shift import em_priors, shift_proba  # noqa: E402

WIDTHS = {"unpenalised": np.inf, "sd 0.4": 0.4, "sd 0.2": 0.2, "sd 0.1": 0.1,
          "sd 0.05": 0.05, "bias only": 0, "Cauchy 0.2": ("cauchy", 0.2),
          "Cauchy 0.1": ("cauchy", 0.1), "Cauchy 0.05": ("cauchy", 0.05),
          "skweight: Gaussian, width by CV": "skweight"}
COST = pb.SHIFT_COST
CLASSES = np.array([0, 1])


class CalibrationRows:
    """Records the probabilities and classes each fit calibrates on."""

    def __init__(self):
        self.rows = None
        self._fit = calibrated.fit_calibrator

    def __call__(self, method, proba, y_encoded, sample_weight=None):
        self.rows = (np.array(proba), np.array(y_encoded))
        return self._fit(method, proba, y_encoded, sample_weight)


def refit(proba, y, width):
    """The temperature map on ``(proba, y)`` with the prior of ``width`` on
    ``log(1 / T)`` (none for ``inf``); the bias alone (``T = 1``) for 0."""
    if isinstance(width, str):  # skweight's map: the width by cross-validation
        return calibration.TemperatureCalibrator().fit(proba, y)
    z = calibration.logits(proba)
    onehot = np.eye(z.shape[1])[y]
    weight = np.full(len(y), 1.0 / len(y))
    cauchy = isinstance(width, tuple)
    scale = width[1] if cauchy else width

    def objective(theta):
        loss, grad = calibration._objective(theta, z, onehot, weight)
        grad = grad.copy()
        t = theta[0]
        if cauchy:  # -log density of a Cauchy prior, per row
            grad[0] += 2.0 * t / (scale**2 + t**2) / len(y)
            return loss + np.log1p((t / scale) ** 2) / len(y), grad
        if 0 < width < np.inf:  # a Gaussian prior
            grad[0] += t / (width**2 * len(y))
            return loss + t**2 / (2.0 * width**2 * len(y)), grad
        return loss, grad

    # log(1/T) held at 0 for the bias alone
    slope_bound = 0.0 if not cauchy and width == 0 else 7.0
    bounds = [(-slope_bound, slope_bound)] + [(-50.0, 50.0)] * z.shape[1]
    # A heavy-tailed prior may leave two minima: start at the identity and at
    # the unpenalised map, keep the lower.
    starts = [np.zeros(z.shape[1] + 1)]
    if cauchy:
        free = refit(proba, y, np.inf)
        starts.append(np.concatenate([[-np.log(free.temperature)], free.bias]))
    fits = [minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
            for start in starts]
    theta = min(fits, key=lambda fit: fit.fun).x
    return calibration.TemperatureCalibrator(float(np.exp(-theta[0])),
                                             theta[1:] - theta[1:].mean())


def corrected_test_proba(clf, X):
    """The members' averaged prior-corrected probabilities, before the map."""
    state = clf._state()
    X = clf._checked_inputs(state, X)
    return mean_corrected_proba(
        [clf._network_proba(state, member, X) for member in range(len(state.models))],
        state.output_factors)


def score(records, label, width, name, mapped, y_test, priors, seed):
    records["log loss", label, width, name].append(log_loss(y_test, mapped))
    y_pred = (mapped @ COST).argmin(axis=1)
    records["cost", label, width, name].append(
        normalized_cost(y_test, y_pred, cost_matrix=COST, labels=CLASSES))
    rng = np.random.default_rng(seed)  # the same draws for every width
    for factor in pb.SHIFT_FACTORS:
        for _ in range(pb.SHIFT_DRAWS):
            index = pb.shifted_draw(y_test, factor * priors[1], rng)
            if index is None:
                continue
            y_s, q = y_test[index], mapped[index]
            truth = np.array([1 - y_s.mean(), y_s.mean()])
            for method, new in (("EM", em_priors(q, priors).priors),
                                ("oracle", truth)):
                decided = (shift_proba(q, priors, new) @ COST).argmin(axis=1)
                records[method, label, width, name, factor].append(
                    mean_cost(y_s, decided, cost_matrix=COST, labels=CLASSES))


def main():
    warnings.simplefilter("ignore", UserWarning)
    rows = CalibrationRows()
    calibrated.fit_calibrator = rows
    records = defaultdict(list)
    started = time.perf_counter()
    for name, seed, X_train, X_test, y_train, y_test in pb.shift_problems(
            pb.cb.BINARY, 3):
        for label, extra in (("one network", {}),
                             ("members", dict(n_members=5, cross_fit=True))):
            clf = pb.network("balanced", seed, "temperature", cost_matrix=COST,
                             **extra).fit(X_train, y_train)
            proba, y_rows = rows.rows
            corrected = corrected_test_proba(clf, X_test)
            priors = np.asarray(clf.priors_)
            for width, sd in WIDTHS.items():
                mapped = refit(proba, y_rows, sd).transform(corrected)
                score(records, label, width, name, mapped, y_test, priors, seed)
        print(f"  {name} split {seed}: {time.perf_counter() - started:.0f} s",
              flush=True)
    report(records)


def report(records):
    """Means per problem, then over problems; EM above the oracle from mean costs."""
    def mean_over_problems(*key):
        per_problem = defaultdict(list)
        for (kind, *rest), values in records.items():
            if kind == key[0] and tuple(rest[:2]) == key[1:3] and (
                    len(key) < 4 or rest[3] == key[3]):
                per_problem[rest[2]].extend(values)
        return np.mean([np.mean(v) for v in per_problem.values()])

    header = ["network", "prior on log(1/T)", "log loss", "normalised cost",
              *(f"EM above oracle, x{f:g}" for f in pb.SHIFT_FACTORS)]
    print("\n| " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * (len(header) - 2))
    for label in ("one network", "members"):
        for width in WIDTHS:
            cells = [f"{mean_over_problems('log loss', label, width):.4f}",
                     f"{mean_over_problems('cost', label, width):.3f}"]
            for factor in pb.SHIFT_FACTORS:
                em = mean_over_problems("EM", label, width, factor)
                oracle = mean_over_problems("oracle", label, width, factor)
                cells.append(f"{100 * (em / oracle - 1):+.1f} %")
            print(f"| {label} | {width} | " + " | ".join(cells) + " |")


def on_calibration_default(width):
    """``benchmarks/calibration_default.py`` with the map refitted under ``width``."""
    import runpy

    def fit_calibrator(method, proba, y_encoded, sample_weight=None):
        uniform = sample_weight is None or np.ptp(sample_weight) == 0
        if method != "temperature" or not uniform:  # refit weighs rows alike
            return fit(method, proba, y_encoded, sample_weight)
        return refit(proba, y_encoded, width)

    fit = calibrated.fit_calibrator
    calibrated.fit_calibrator = fit_calibrator
    sys.argv = ["calibration_default.py"]
    runpy.run_path(str(Path(__file__).resolve().parent / "calibration_default.py"),
                   run_name="__main__")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--on-calibration-default", metavar="WIDTH",
                        choices=list(WIDTHS),
                        help="run benchmarks/calibration_default.py with the "
                             "temperature map under this prior instead")
    args = parser.parse_args()
    if args.on_calibration_default:
        on_calibration_default(WIDTHS[args.on_calibration_default])
    else:
        main()
