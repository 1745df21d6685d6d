"""compare_strategies: the table, its costs checked by hand, the default strategies."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold

from skweight import (
    WeightedKerasClassifier,
    compare_strategies,
    default_strategies,
    expected_calibration_error,
    mean_cost,
    normalized_cost,
)
from skweight._compare import DECISIONS, METRICS
from skweight._strategies import CALIBRATED_FROM, STRATEGY_NAMES, cost_class_weights

COST = [[0.0, 1.0], [5.0, 0.0]]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=300, n_features=5, weights=[0.85, 0.15],
                               random_state=0)
    return X, np.array(["neg", "pos"])[y]


def test_table_shape_and_columns(data):
    """Check one row per strategy and decision, and a mean and std per metric."""
    X, y = data
    strategies = {"logistic": LogisticRegression(), "prior": DummyClassifier()}
    table = compare_strategies(X, y, cost_matrix=COST, strategies=strategies, cv=3,
                               random_state=0)
    assert table.shape == (len(strategies) * len(DECISIONS), 2 + 2 * len(METRICS))
    assert list(table.columns[:2]) == ["strategy", "decision"]
    assert list(table.columns[2:]) == [f"{m}_{s}" for m in METRICS
                                       for s in ("mean", "std")]
    assert table[["strategy", "decision"]].values.tolist() == [
        [name, d] for name in strategies for d in DECISIONS
    ]
    assert table.attrs["classes"] == ["neg", "pos"]
    assert table.attrs["cost_matrix"] == COST
    assert not table.isna().any().any()


def test_costs_checked_by_hand():
    """Check a constant model whose every number can be computed on paper.

    100 rows, 20 positives, 5 stratified folds: each test fold holds 16 negatives
    and 4 positives. DummyClassifier(strategy="prior") predicts p(pos) = 0.2.
    argmax always says "neg": cost 5 * 4 / 20 = 1.0 per row. Bayes compares the
    expected costs 0.2 * 5 = 1.0 (say neg) and 0.8 * 1 = 0.8 (say pos), so always
    says "pos": cost 16 / 20 = 0.8, which is the best constant prediction, hence a
    normalised cost of 1.0 (and 1.0 / 0.8 = 1.25 for argmax). p(pos) = 0.2 is
    the rate of every fold: one bin, calibrated, an ECE of 0.
    """
    X = np.arange(100, dtype=float).reshape(-1, 1)
    y = np.array(["neg"] * 80 + ["pos"] * 20)
    table = compare_strategies(
        X, y, cost_matrix=COST, strategies={"prior": DummyClassifier()}, cv=5,
        decisions=["argmax", "bayes"], random_state=0,
    ).set_index("decision")
    assert_allclose(table.loc["argmax", "cost_mean"], 1.0)
    assert_allclose(table.loc["bayes", "cost_mean"], 0.8)
    assert_allclose(table.loc["argmax", "normalized_cost_mean"], 1.25)
    assert_allclose(table.loc["bayes", "normalized_cost_mean"], 1.0)
    assert_allclose(table["cost_std"], 0.0, atol=1e-12)
    assert_allclose(table["brier_mean"], 0.8 * 0.2**2 + 0.2 * 0.8**2)
    assert_allclose(table["log_loss_mean"], -(0.8 * np.log(0.8) + 0.2 * np.log(0.2)))
    assert_allclose(table["ece_mean"], 0.0, atol=1e-12)
    assert_allclose(table["roc_auc_mean"], 0.5)
    assert_allclose(table["average_precision_mean"], 0.2)
    assert_allclose(table["balanced_accuracy_mean"], 0.5)


def test_costs_match_a_manual_cross_validation(data):
    """Check the table against mean_cost and friends on the same folds."""
    X, y = data
    table, details = compare_strategies(
        X, y, cost_matrix=COST, strategies={"logistic": LogisticRegression()},
        cv=4, decisions=["argmax", "bayes"], random_state=3, return_predictions=True,
    )
    table = table.set_index("decision")
    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=3).split(X, y)
    costs, norms, bal, losses, eces = [], [], [], [], []
    preds = np.empty(len(y), dtype=y.dtype)
    for train, test in folds:
        model = LogisticRegression().fit(X[train], y[train])
        y_pred = model.predict(X[test])
        preds[test] = y_pred
        costs.append(mean_cost(y[test], y_pred, cost_matrix=COST))
        norms.append(normalized_cost(y[test], y_pred, cost_matrix=COST))
        bal.append(balanced_accuracy_score(y[test], y_pred))
        losses.append(log_loss(y[test], model.predict_proba(X[test])))
        eces.append(expected_calibration_error(y[test],
                                               model.predict_proba(X[test])[:, 1]))
    assert_allclose(table.loc["argmax", "cost_mean"], np.mean(costs))
    assert_allclose(table.loc["argmax", "cost_std"], np.std(costs))
    assert_allclose(table.loc["argmax", "normalized_cost_mean"], np.mean(norms))
    assert_allclose(table.loc["argmax", "balanced_accuracy_mean"], np.mean(bal))
    assert_allclose(table.loc["argmax", "log_loss_mean"], np.mean(losses))
    assert_allclose(table.loc["argmax", "ece_mean"], np.mean(eces))
    assert_allclose(table.loc["bayes", "ece_std"], np.std(eces))
    assert_array_equal(details.y_pred["logistic", "argmax"], preds)
    bayes = np.where(details.proba["logistic"][:, 1] > 1 / 6, "pos", "neg")
    assert_array_equal(details.y_pred["logistic", "bayes"], bayes)
    assert details.thresholds["logistic", "bayes"] == [pytest.approx(1 / 6)] * 4


def test_predictions_cover_every_row_and_tuned_thresholds(data):
    """Check the out-of-fold outputs: every row once, a tuned threshold per fold."""
    X, y = data
    table, details = compare_strategies(
        X, y, cost_matrix=COST, strategies={"logistic": LogisticRegression()}, cv=3,
        random_state=0, return_predictions=True,
    )
    assert_array_equal(np.bincount(details.fold), [100, 100, 100])
    assert np.isfinite(details.proba["logistic"]).all()
    assert details.raw_proba["logistic"] is None
    assert len(details.thresholds["logistic", "tuned"]) == 3
    assert all(0 < t < 1 for t in details.thresholds["logistic", "tuned"])
    tuned = table.set_index("decision").loc["tuned", "cost_mean"]
    per_fold = [mean_cost(y[details.fold == k],
                          details.y_pred["logistic", "tuned"][details.fold == k],
                          cost_matrix=COST) for k in range(3)]
    assert_allclose(tuned, np.mean(per_fold))


def test_multiclass_string_labels_and_default_cost():
    """Check three string classes with the default 0-1 cost: cost = error rate."""
    X, y = make_classification(n_samples=300, n_classes=3, n_informative=4,
                               weights=[0.6, 0.3, 0.1], random_state=0)
    y = np.array(["a", "b", "c"])[y]
    table, details = compare_strategies(
        X, y, strategies={"logistic": LogisticRegression()}, cv=3, random_state=0,
        return_predictions=True,
    )
    assert table.attrs["cost_matrix"] == (1 - np.eye(3)).tolist()
    errors = details.y_pred["logistic", "argmax"] != y
    per_fold = [errors[details.fold == k].mean() for k in range(3)]
    assert_allclose(table.loc[0, "cost_mean"], np.mean(per_fold))
    assert ((table["roc_auc_mean"] > 0.5) & (table["brier_mean"] < 1)).all()
    # Top-label calibration over three classes, per fold.
    top = [expected_calibration_error(y[details.fold == k],
                                      details.proba["logistic"][details.fold == k],
                                      labels=["a", "b", "c"]) for k in range(3)]
    assert_allclose(table.loc[0, "ece_mean"], np.mean(top))


class _FailsOnFit(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("boom")

    def predict(self, X):  # pragma: no cover - never fitted
        raise AssertionError

    def predict_proba(self, X):  # pragma: no cover - never fitted
        raise AssertionError


def test_error_score(data):
    """Check that a failing strategy raises, or scores NaN with a warning."""
    X, y = data
    strategies = {"fails": _FailsOnFit(), "logistic": LogisticRegression()}
    with pytest.raises(RuntimeError, match="boom"):
        compare_strategies(X, y, strategies=strategies, cv=2)
    with pytest.warns(FitFailedWarning,
                      match="strategy 'fails' failed and scores nan: RuntimeError"):
        table = compare_strategies(X, y, strategies=strategies, cv=2,
                                   error_score=np.nan)
    assert table.loc[table.strategy == "fails", "cost_mean"].isna().all()
    assert table.loc[table.strategy == "logistic", "cost_mean"].notna().all()
    assert table.attrs["failed"] == {"fails": "RuntimeError: boom"}


def test_progress_is_reported(data):
    """Check that progress(n_done, n_total) is called once per strategy."""
    X, y = data
    calls = []
    compare_strategies(X, y, strategies={"a": LogisticRegression(),
                                         "b": DummyClassifier()},
                       cv=2, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


@pytest.mark.parametrize(
    "y, params, err_msg",
    [
        (["a"] * 10, {}, "1 class"),
        (["a"] * 8 + ["b"] * 2, {"cv": 3}, r"cv=3 folds need per class .*'b'"),
        # 2 folds of 2 minority rows leave 1 in training: none left after tuning
        (["a"] * 8 + ["b"] * 2, {"cv": 2},
         r"cv=2 folds need .*tuning split.*\{'b': 2\}"),
        (["a"] * 5 + ["b"] * 5, {"cost_matrix": [[0, 1]]}, r"shape \(1, 2\)"),
        (["a"] * 5 + ["b"] * 5, {"strategies": {}}, "non-empty dict"),
        (["a"] * 5 + ["b"] * 5, {"strategies": {"x": object()}}, "predict_proba"),
        (["a"] * 5 + ["b"] * 5, {"decisions": ["best"]}, "decisions="),
        (["a"] * 5 + ["b"] * 5, {"tune_size": 1.5}, "tune_size=1.5"),
        (["a"] * 5 + ["b"] * 5, {"decisions": ["bayes"], "cv": 6},
         r"cv=6 folds need per class at least 6 rows \(one per fold\)"),
        (["a"] * 4 + [None] + ["b"] * 5, {}, "missing values"),
    ],
)
def test_bad_input(y, params, err_msg):
    """Check that bad input is explained before anything is fitted."""
    X = np.zeros((len(y), 2))
    params = {"strategies": {"lr": LogisticRegression()}, "cv": 2, **params}
    with pytest.raises(ValueError, match=err_msg):
        compare_strategies(X, np.array(y, dtype=object), **params)


def test_default_strategies():
    """Check names, order, seeds, the extra cost-weights entry, and that the
    calibrated strategy is the balanced one with a temperature map."""
    plain = default_strategies(random_state=0)
    assert list(plain) == ["no-weights", "prior-bias", "balanced",
                           "balanced+prior-bias", "balanced+calibrated", "focal",
                           "logit-adjusted", "undersampling", "smote"]
    costly = default_strategies([[0, 1], [20, 0]], random_state=0,
                                network_params={"epochs": 3})
    assert list(costly) == list(STRATEGY_NAMES)
    calibrated = costly["balanced+calibrated"][-1].get_params()
    balanced = costly["balanced"][-1].get_params()
    assert calibrated.pop("calibration") == "temperature"
    assert balanced.pop("calibration") == "auto"  # no early stopping: none
    assert calibrated == balanced
    assert CALIBRATED_FROM == {"balanced+calibrated": "balanced"}
    for estimator in costly.values():
        network = estimator.steps[-1][1]
        assert isinstance(network, WeightedKerasClassifier)
        assert network.epochs == 3 and network.hidden_layer_sizes == (32,)
        assert network.random_state == costly["no-weights"][-1].random_state
    assert costly["smote"].steps[1][1].random_state == network.random_state
    assert "cost-weights" not in default_strategies([[0, 2], [2, 0]])
    weights = cost_class_weights(["x", "y", "y"],
                                 cost_matrix={"x": {"y": 3}, "y": {"x": 1}})
    assert_allclose(list(weights.values()), np.array([3, 1]) * 3 / 5)


def test_default_strategies_run_on_networks(data):
    """Check a short run of three default strategies, with raw network outputs,
    the calibrated one scored as the others."""
    X, y = data
    strategies = default_strategies(COST, random_state=0,
                                    network_params={"epochs": 2})
    strategies = {k: strategies[k] for k in ("balanced", "balanced+calibrated",
                                             "undersampling")}
    table, details = compare_strategies(X, y, cost_matrix=COST, cv=2,
                                        strategies=strategies, random_state=0,
                                        return_predictions=True)
    assert table.shape[0] == 9 and not table.isna().any().any()
    assert list(table["strategy"].unique()) == list(strategies)
    assert ((table["ece_mean"] >= 0) & (table["ece_mean"] <= 1)).all()
    raw, corrected = details.raw_proba["balanced"], details.proba["balanced"]
    assert raw is not None and not np.allclose(raw, corrected)
    assert_allclose(details.raw_proba["undersampling"], details.proba["undersampling"])
    # The map moves the probabilities (whether it helps on so few rows is left to
    # test_calibration).
    calibrated = details.proba["balanced+calibrated"]
    assert np.isfinite(calibrated).all()
    assert not np.allclose(calibrated, corrected, atol=1e-3)


def _flatten(X):
    return X.reshape(len(X), -1)


def test_nd_input_skips_what_cannot_take_it():
    """Check that N-D rows go to a strategy that flattens them, and that one
    whose resampler would receive N-D rows is skipped with its reason."""
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_classification(n_samples=120, n_features=16, weights=[0.8, 0.2],
                               random_state=0)
    images = X.reshape(-1, 4, 4, 1)
    flatten = FunctionTransformer(_flatten)
    strategies = {
        "flat": make_pipeline(flatten, LogisticRegression()),
        "flat+smote": make_pipeline(flatten, SMOTE(random_state=0),
                                    LogisticRegression()),
        "smote": make_pipeline(SMOTE(random_state=0), LogisticRegression()),
    }
    table = compare_strategies(images, y, cost_matrix=COST, strategies=strategies,
                               cv=3, random_state=0)
    assert table.attrs["skipped"] == {
        "smote": "step 'smote' (SMOTE) resamples 2-D tables only, and would "
                 "receive rows of shape (4, 4, 1)"}
    assert set(table["strategy"]) == {"flat", "flat+smote"}
    flat = compare_strategies(X, y, cost_matrix=COST, cv=3, random_state=0,
                              strategies={"flat": LogisticRegression()})
    assert_allclose(table.loc[table.strategy == "flat", "cost_mean"],
                    flat["cost_mean"])


def test_per_row_costs_checked_by_hand():
    """Check per-row costs (a miss costs the row's amount, a false alarm 1) on a
    constant model: p(pos) = 0.2, so the per-row Bayes rule says "pos" exactly
    where 0.2 > 1 / (1 + amount), i.e. amount > 4; argmax always says "neg"."""
    from sklearn.model_selection import StratifiedKFold

    from skweight import binary_cost_matrix

    X = np.arange(100, dtype=float).reshape(-1, 1)
    y = np.array(["neg"] * 80 + ["pos"] * 20)
    amount = np.random.default_rng(0).uniform(0, 10, size=100)
    costs = binary_cost_matrix(fp=1.0, fn=amount)
    table = compare_strategies(
        X, y, cost_matrix=costs, strategies={"prior": DummyClassifier()}, cv=5,
        decisions=["argmax", "bayes"], random_state=0,
    ).set_index("decision")
    pos = y == "pos"
    per_row = {"argmax": np.where(pos, amount, 0.0),
               "bayes": np.where(pos, np.where(amount > 4, 0.0, amount),
                                 (amount > 4).astype(float))}
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
    tests = [test for _, test in folds]
    for decision, cost in per_row.items():
        assert_allclose(table.loc[decision, "cost_mean"],
                        np.mean([cost[t].mean() for t in tests]))
        assert_allclose(table.loc[decision, "total_cost_mean"],
                        np.mean([cost[t].sum() for t in tests]))
    # the best constant policy of each fold: all "neg" (its misses) or all "pos"
    best = [min(amount[t][pos[t]].sum(), (~pos[t]).sum()) for t in tests]
    assert_allclose(table.loc["bayes", "savings_mean"],
                    np.mean([1 - per_row["bayes"][t].sum() / b
                             for t, b in zip(tests, best, strict=True)]))
    assert_allclose(table["savings_mean"], 1 - table["normalized_cost_mean"])


def test_per_row_costs_with_the_tuned_decision(data):
    """Check that the tuned decision runs on per-row costs, never worse in its
    own tuning than the per-row rule, and that the predictions use each row's
    costs: a row whose miss costs nothing is never called positive by bayes."""
    from skweight import binary_cost_matrix

    X, y = data
    amount = np.where(np.arange(len(y)) % 2 == 0, 0.0, 50.0)
    costs = binary_cost_matrix(fp=1.0, fn=amount)
    table, details = compare_strategies(
        X, y, cost_matrix=costs, cv=3, random_state=0, return_predictions=True,
        strategies={"logistic": LogisticRegression()})
    assert table.shape[0] == 3 and table["cost_mean"].notna().all()
    assert not (details.y_pred["logistic", "bayes"][amount == 0] == "pos").any()


def test_users_network_on_images(data, small):
    """Check the default strategies built on the user's own network: images
    flattened by the preprocessor reach every strategy, SMOTE included; with
    "passthrough" and a CNN the N-D rows are undersampled (RowSampler) and
    SMOTE, which needs a table, is skipped with its reason."""
    from sklearn.preprocessing import FunctionTransformer

    X, y = data
    images = np.repeat(X[:, :4], 4, axis=1).reshape(-1, 4, 4, 1)
    network = WeightedKerasClassifier(**small)
    flat = default_strategies(COST, random_state=0, estimator=network,
                              preprocessor=FunctionTransformer(_flatten))
    inner = flat["balanced"][-1]
    assert (inner.hidden_layer_sizes, inner.epochs) == (
        small["hidden_layer_sizes"], small["epochs"])
    table = compare_strategies(images, y, cost_matrix=COST, cv=2, random_state=0,
                               decisions=["bayes"],
                               strategies={k: flat[k] for k in ("balanced", "smote")})
    assert table.attrs["skipped"] == {} and table["cost_mean"].notna().all()
    cnn = WeightedKerasClassifier(model=_tiny_cnn, epochs=1, random_state=0)
    raw = default_strategies(COST, random_state=0, estimator=cnn,
                             preprocessor="passthrough")
    table = compare_strategies(images, y, cost_matrix=COST, cv=2, random_state=0,
                               decisions=["bayes"], error_score=np.nan,
                               strategies={k: raw[k] for k in ("undersampling",
                                                               "smote")})
    assert set(table.attrs["skipped"]) == {"smote"}
    assert "step 'smote' (SMOTE) resamples 2-D tables only, and would receive " \
        "rows of shape (4, 4, 1)" == table.attrs["skipped"]["smote"]
    assert table.loc[table["strategy"] == "undersampling", "cost_mean"].notna().all()


def test_random_sampler_on_images_is_skipped_with_the_fix(data):
    """Check that a bare RandomUnderSampler facing images is skipped, and the
    reason points to RowSampler."""
    from imblearn.pipeline import make_pipeline as make_resampling_pipeline
    from imblearn.under_sampling import RandomUnderSampler

    X, y = data
    images = np.repeat(X[:, :4], 4, axis=1).reshape(-1, 4, 4, 1)
    pipe = make_resampling_pipeline(
        RandomUnderSampler(random_state=0),
        WeightedKerasClassifier(model=_tiny_cnn, epochs=1, random_state=0))
    table = compare_strategies(images, y, cost_matrix=COST, cv=2, random_state=0,
                               decisions=["bayes"], error_score=np.nan,
                               strategies={"under": pipe})
    assert table.attrs["skipped"]["under"].endswith(
        "; skweight.RowSampler resamples rows of any shape with it")


def _tiny_cnn(meta):
    import keras

    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv2D(2, 2, activation="relu")(inputs)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def _digit_cnn(meta):
    import keras

    inputs = keras.Input(meta["input_shapes_"])
    hidden = keras.layers.Conv2D(2, 3, activation="relu")(inputs)
    hidden = keras.layers.GlobalAveragePooling2D()(hidden)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


@pytest.mark.slow
def test_default_strategies_take_images_without_the_table_scaler():
    """Check compare_strategies(images, y, estimator=cnn) with the default
    strategies: the 8x8 digit images reach the network as images (no
    StandardScaler, which takes 2-D tables only), every strategy but SMOTE runs,
    and SMOTE is skipped with its reason."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = np.arange(0, len(digits.target), 12)  # 150 images, about 10 % nines
    images = digits.images[rows, :, :, None] / 16.0
    y = np.where(digits.target[rows] == 9, "nine", "other")
    cnn = WeightedKerasClassifier(model=_digit_cnn, epochs=1, random_state=0)
    table = compare_strategies(images, y, cost_matrix=COST, estimator=cnn, cv=2,
                               decisions=["bayes"], random_state=0)
    assert table.attrs["failed"] == {}
    assert list(table.attrs["skipped"]) == ["smote"]
    assert "resamples 2-D tables only" in table.attrs["skipped"]["smote"]
    assert len(table) >= 7 and table["cost_mean"].notna().all()


@pytest.mark.parametrize("X, expected", [
    (np.zeros((4, 3)), None),
    (np.zeros((4, 8, 8, 1)), "passthrough"),
    (np.array(["a text", "another"]), "passthrough"),
    (["a text", "another"], "passthrough"),
])
def test_default_preprocessor_scales_tables_only(X, expected):
    """Check the first step compare_strategies gives its default strategies: the
    scaler (None) for 2-D tables, nothing for images, sequences and raw text."""
    from skweight._strategies import default_preprocessor

    assert default_preprocessor(X) == expected


def test_named_inputs_as_a_dict_get_a_clear_error():
    """Check that a dict of named inputs, which cross-validation cannot split,
    gets an error saying what to pass instead."""
    rng = np.random.default_rng(0)
    X = {"x": rng.normal(size=(40, 3)), "z": rng.normal(size=(40, 2))}
    y = np.array(["a", "b"] * 20)
    with pytest.raises(TypeError, match=r"X is a dict of named inputs \['x', 'z'\]"
                       r".*DataFrame"):
        compare_strategies(X, y, strategies={"logistic": LogisticRegression()},
                           cv=2)


class _FailsWithMarker(LogisticRegression):
    """Fails to fit when its training rows include the marked row."""

    def fit(self, X, y, sample_weight=None):
        if np.any(X[:, 0] == MARKER):
            raise ValueError("the marked row is in training")
        return super().fit(X, y, sample_weight=sample_weight)


MARKER = 1e6


@pytest.mark.parametrize("labels", [np.array(["neg", "pos"]), np.array([0, 1])])
def test_failed_folds_have_no_predictions_not_garbage(data, labels):
    """Check return_predictions when some folds fail: their rows hold None in
    y_pred and NaN in proba (they held uninitialised memory), the other rows the
    fitted fold's predictions."""
    X, y = data
    X, y = X.copy(), labels[(y == "pos").astype(int)]
    X[0, 0] = MARKER  # in training for 2 of the 3 folds: they fail
    with pytest.warns(FitFailedWarning, match="marked row is in training"):
        table, details = compare_strategies(
            X, y, strategies={"fails": _FailsWithMarker()}, cv=3, random_state=0,
            decisions=["argmax", "bayes"], error_score=np.nan,
            return_predictions=True)
    kept = details.fold == details.fold[0]
    for decision in ("argmax", "bayes"):
        y_pred = details.y_pred["fails", decision]
        assert y_pred.dtype == object
        assert all(label is None for label in y_pred[~kept])
        assert set(y_pred[kept].tolist()) <= set(labels.tolist())
    assert np.isnan(details.proba["fails"][~kept]).all()
    assert np.isfinite(details.proba["fails"][kept]).all()


def test_predictions_keep_the_label_dtype_when_every_fold_fits(data):
    """Check that y_pred keeps the labels' dtype when no fold fails."""
    X, y = data
    _, details = compare_strategies(
        X, y, strategies={"logistic": LogisticRegression()}, cv=2, random_state=0,
        decisions=["bayes"], return_predictions=True)
    assert details.y_pred["logistic", "bayes"].dtype == y.dtype


class _CountingLogistic(LogisticRegression):
    """A logistic regression that counts the rows it is asked to predict."""

    def predict_proba(self, X):
        type(self).calls.append(("predict_proba", len(X)))
        return super().predict_proba(X)

    def predict(self, X):
        type(self).calls.append(("predict", len(X)))
        return super().predict(X)


def test_each_fold_predicts_its_test_rows_once(data):
    """Check that every score and decision of a fold derives from one
    predict_proba on its test rows (plus predict for argmax), not one per metric;
    the tuning split of the tuned decision is predicted once more, in fit."""
    X, y = data
    _CountingLogistic.calls = []
    table, details = compare_strategies(
        X, y, cost_matrix=COST, strategies={"counted": _CountingLogistic()}, cv=3,
        random_state=0, return_predictions=True)
    test_calls = [c for c in _CountingLogistic.calls if c[1] == 100]
    assert sorted(test_calls) == [("predict", 100)] * 3 + [("predict_proba", 100)] * 3
    assert np.isfinite(details.proba["counted"]).all()
    assert set(details.fold_scores["counted"]) >= {"bayes:cost", "tuned:cost",
                                                   "log_loss", "fit_time"}
    assert_allclose(table.set_index("decision").loc["bayes", "cost_mean"],
                    np.mean(details.fold_scores["counted"]["bayes:cost"]))


@pytest.mark.parametrize("calibration", [None, "temperature"])
def test_argmax_is_the_networks_own_predict(binary_data, small, calibration):
    """Check that the argmax decision is the fitted strategy's own predict, also
    for a calibrated network, whose predict reads the calibrated probabilities
    (argmax_c w_c q(c|x)) and not the output it was trained to give."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skweight import CostSensitiveClassifier
    from skweight._fold_scores import fold_outputs

    X, y = binary_data
    network = WeightedKerasClassifier(**small, class_weight="balanced",
                                      calibration=calibration)
    fitted = CostSensitiveClassifier(make_pipeline(StandardScaler(), network),
                                     cost_matrix=COST).fit(X[:200], y[:200])
    outputs = fold_outputs(fitted, X[200:], np.array([0, 1]), ("argmax",))
    assert_array_equal(outputs["y_pred"]["argmax"], fitted.estimator_.predict(X[200:]))
