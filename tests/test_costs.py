"""Cost matrices, the Bayes rule, the cost metrics and the cost scorer."""

import warnings

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
)

from skweight import (
    CostSensitiveClassifier,
    UnreasonableCostWarning,
    binary_cost_matrix,
    check_cost_matrix,
    make_cost_scorer,
    make_savings_scorer,
    savings_score,
)
from skweight._costs import (
    bayes_predict_indices,
    decision_scores,
    expected_costs,
    mean_cost,
    normalized_cost,
    predict_indices_from_scores,
)

CLASSES = np.array(["neg", "pos"])
COST = [[0.0, 1.0], [5.0, 0.0]]


@pytest.fixture(scope="module")
def string_data():
    X, y = make_classification(
        n_samples=300, n_features=5, weights=[0.85, 0.15], random_state=0
    )
    return X, CLASSES[y]


def test_check_cost_matrix_returns_a_new_float_array():
    """Check that the result is a float copy and the caller's array is unchanged."""
    cost = np.array([[0, 1], [5, 0]])
    result = check_cost_matrix(cost, CLASSES)
    assert result.dtype == np.float64
    assert not np.shares_memory(result, cost)
    result[0, 1] = 100.0
    assert_array_equal(cost, [[0, 1], [5, 0]])


def test_check_cost_matrix_dict_of_dicts():
    """Check the dict form: keyed by labels, diagonal defaulting to zero."""
    costs = {"pos": {"neg": 5}, "neg": {"pos": 1, "neg": 0.5}}
    assert_array_equal(check_cost_matrix(costs, CLASSES), [[0.5, 1.0], [5.0, 0.0]])
    assert costs == {"pos": {"neg": 5}, "neg": {"pos": 1, "neg": 0.5}}


def test_check_cost_matrix_callable():
    """Check that a callable receives the classes and may return either form."""
    seen = []

    def costs(classes):
        seen.append(classes)
        return {classes[0]: {classes[1]: 1}, classes[1]: {classes[0]: 5}}

    assert_array_equal(check_cost_matrix(costs, CLASSES), COST)
    assert_array_equal(seen[0], CLASSES)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        (
            {"cost_matrix": [[0, 1, 2], [5, 0, 1]]},
            ValueError,
            r"cost_matrix has shape \(2, 3\) but y has 2 classes \['neg', 'pos'\]; "
            r"pass a \(2, 2\) matrix with rows = true class, columns = predicted",
        ),
        (
            {"cost_matrix": [[0, np.nan], [5, 0]]},
            ValueError,
            r"non-finite costs at the \(true, predicted\) pairs \[\('neg', 'pos'\)\]",
        ),
        (
            {"cost_matrix": [[0, 1], [np.inf, 0]]},
            ValueError,
            r"non-finite costs at the \(true, predicted\) pairs \[\('pos', 'neg'\)\]",
        ),
        (
            {"cost_matrix": [[0, -1], [5, 0]]},
            ValueError,
            r"negative costs at the \(true, predicted\) pairs \[\('neg', 'pos'\)\]",
        ),
        (
            {"cost_matrix": np.zeros((2, 2))},
            ValueError,
            r"cost_matrix is all zeros.*1 - numpy.eye\(2\)",
        ),
        (
            {"cost_matrix": [["a", 1], [5, 0]]},
            ValueError,
            r"cost_matrix must be a \(2, 2\) matrix of numbers",
        ),
        (
            {"cost_matrix": {"neg": {"positive": 1}, "pos": {"neg": 5}}},
            ValueError,
            r"cost_matrix has labels \['positive'\] that are not classes; the classes "
            r"are \['neg', 'pos'\]",
        ),
        (
            {"cost_matrix": {"neg": {"pos": 1}}},
            ValueError,
            r"no cost for the \(true, predicted\) pairs \[\('pos', 'neg'\)\]",
        ),
        (
            {"cost_matrix": {"neg": 1, "pos": {"neg": 5}}},
            ValueError,
            r"cost_matrix\['neg'\] must be a dict \{predicted label: cost\}; got 1",
        ),
        (
            {"cost_matrix": {"neg": {"pos": "high"}, "pos": {"neg": 5}}},
            ValueError,
            r"cost_matrix\['neg'\]\['pos'\] must be a number; got 'high'",
        ),
        (
            {"cost_matrix": lambda classes: np.ones((3, 3)), "param_name": "costs"},
            ValueError,
            r"costs\(classes\) has shape \(3, 3\) but y has 2 classes",
        ),
        (
            {"cost_matrix": [[0, 1e308], [1e308, 0]]},
            ValueError,
            r"cost_matrix has costs up to 1e\+308, too large to add up.*divide every "
            r"cost by the same number",
        ),
        (
            {"cost_matrix": [[[0, 1], [1, 0]], [[0, 1e305], [1, 0]]]},
            ValueError,
            r"cost_matrix has costs up to 1e\+305, too large",
        ),
    ],
)
def test_check_cost_matrix_errors(params, err_type, err_msg):
    """Check that each bad cost matrix gets an error naming what is wrong."""
    with pytest.raises(err_type, match=err_msg):
        check_cost_matrix(classes=CLASSES, **params)


@pytest.mark.parametrize(
    "cost_matrix, warn_msg",
    [
        (
            [[2, 1, 3], [4, 0, 4], [1, 4, 0]],
            r"predicting the true class 'a' costs 2.0, more than the error of "
            r"predicting 'b' \(1.0\)",
        ),
        (
            [[0, 4, 4], [4, 0, 4], [2, 2, 2]],
            r"column 'c' is >= column 'a' in every row, so predicting 'c' is never "
            r"cheaper than predicting 'a'",
        ),
    ],
)
def test_check_cost_matrix_warns_on_unreasonable_costs(cost_matrix, warn_msg):
    """Check the warnings for a costly correct prediction and a dominated column."""
    with pytest.warns(UnreasonableCostWarning, match=warn_msg) as record:
        check_cost_matrix(cost_matrix, ["a", "b", "c"])
    assert len(record) == 1


def test_binary_free_false_alarms_warn_dominated_column():
    """Check that free false alarms are flagged: predicting 'neg' is never better."""
    with pytest.warns(UnreasonableCostWarning, match="column 'neg' is >= column 'pos'"):
        check_cost_matrix([[0, 0], [5, 0]], CLASSES)


@pytest.mark.parametrize(
    "cost_matrix", [COST, 1 - np.eye(3), [[0, 1, 1], [5, 0, 1], [20, 5, 0]]]
)
def test_check_cost_matrix_no_warning_for_reasonable_costs(cost_matrix):
    """Check that sensible matrices, including the 0-1 loss, do not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_cost_matrix(cost_matrix, np.arange(len(cost_matrix)))


def test_expected_costs_and_bayes_rule_by_hand():
    """Check the expected costs and the argmin against a hand computation."""
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.5, 0.0]])
    cost = np.array([[0, 1, 2], [3, 0, 1], [9, 2, 0]])
    expected = np.array(
        [
            [0.2 * 3 + 0.1 * 9, 0.7 * 1 + 0.1 * 2, 0.7 * 2 + 0.2 * 1],
            [0.3 * 3 + 0.6 * 9, 0.1 * 1 + 0.6 * 2, 0.1 * 2 + 0.3 * 1],
            [0.5 * 3, 0.5 * 1, 0.5 * 2 + 0.5 * 1],
        ]
    )
    assert_allclose(expected_costs(proba, cost), expected)
    assert_array_equal(bayes_predict_indices(proba, cost), [1, 2, 1])


def test_bayes_rule_ties_go_to_the_lowest_index():
    """Check the tie convention: equal expected costs give the first class."""
    # p1 = 0.2 = C01 / (C01 + C10): both decisions cost 0.8.
    proba = np.array([[0.8, 0.2], [0.5, 0.5]])
    assert_array_equal(bayes_predict_indices(proba, [[0, 1], [4, 0]]), [0, 1])
    assert_array_equal(bayes_predict_indices([[0.5, 0.5]], 1 - np.eye(2)), [0])


@st.composite
def proba_and_row_costs(draw):
    """Random probabilities and one random cost matrix per row."""
    n_samples = draw(st.integers(1, 20))
    n_classes = draw(st.integers(2, 4))
    raw = draw(
        arrays(float, (n_samples, n_classes), elements=st.floats(0.01, 1.0))
    )
    costs = draw(
        arrays(
            float,
            (n_samples, n_classes, n_classes),
            elements=st.floats(0.0, 100.0),
        )
    )
    return raw / raw.sum(axis=1, keepdims=True), costs


@settings(max_examples=60, deadline=None, derandomize=True)
@given(proba_and_row_costs())
def test_per_row_bayes_rule_is_the_brute_force_minimum(data):
    """Check the per-row rule against a direct minimum over every label."""
    proba, costs = data
    n_samples, n_classes = proba.shape
    brute = np.array(
        [
            [
                sum(proba[n, i] * costs[n, i, j] for i in range(n_classes))
                for j in range(n_classes)
            ]
            for n in range(n_samples)
        ]
    )
    assert_allclose(expected_costs(proba, costs), brute, rtol=1e-10, atol=1e-10)
    chosen = bayes_predict_indices(proba, costs)
    # The chosen label costs the minimum (up to rounding), whichever label ties.
    assert_allclose(brute[np.arange(n_samples), chosen], brute.min(axis=1),
                    rtol=1e-10, atol=1e-10)
    scores = decision_scores(proba, costs)
    assert_array_equal(predict_indices_from_scores(scores), chosen)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(proba_and_row_costs())
def test_per_row_rule_with_equal_rows_is_the_single_matrix_rule(data):
    """Check that repeating one matrix for every row changes no decision."""
    proba, costs = data
    matrix = costs[0]
    repeated = np.broadcast_to(matrix, costs.shape)
    single = expected_costs(proba, matrix)
    assert_allclose(expected_costs(proba, repeated), single)
    # Where two labels tie exactly, rounding may pick either: compare the others.
    ordered = np.sort(single, axis=1)
    clear = ordered[:, 1] - ordered[:, 0] > 1e-9
    assert_array_equal(
        bayes_predict_indices(proba, repeated)[clear],
        bayes_predict_indices(proba, matrix)[clear],
    )


def test_binary_decision_scores_by_hand():
    """Check the binary score: cost of predicting class 0 minus that of class 1."""
    proba = np.array([[0.9, 0.1], [0.5, 0.5]])
    costs = np.array([[[0, 1], [4, 0]], [[0, 10], [1, 0]]])
    # Row 0: 0.1 * 4 - 0.9 * 1 = -0.5; row 1: 0.5 * 1 - 0.5 * 10 = -4.5.
    assert_allclose(decision_scores(proba, costs), [-0.5, -4.5])
    assert_allclose(decision_scores(proba, costs[0]), [-0.5, 1.5])


@pytest.mark.parametrize(
    "proba, cost_matrix",
    [
        ([[0.2, 0.8]], np.ones((2, 2, 2))),
        ([[0.2, 0.8]], np.ones((1, 3, 3))),
        ([[0.2, 0.8]], np.ones((1, 2, 3))),
        ([0.2, 0.8], np.ones((2, 2))),
    ],
)
def test_expected_costs_per_row_shape_errors(proba, cost_matrix):
    """Check that per-row costs must give one (K, K) matrix per row of proba."""
    with pytest.raises(ValueError, match=r"proba has shape .* but cost_matrix"):
        expected_costs(proba, cost_matrix)


def test_expected_costs_shape_error():
    """Check that probabilities with the wrong number of columns are rejected."""
    with pytest.raises(ValueError, match=r"proba has shape \(1, 3\) but cost_matrix"):
        expected_costs([[0.2, 0.3, 0.5]], COST)


def test_mean_cost_by_hand():
    """Check the mean cost, its weighted version and the label order."""
    y_true = ["neg", "pos", "pos", "neg"]
    y_pred = ["pos", "neg", "pos", "neg"]
    assert mean_cost(y_true, y_pred, cost_matrix=COST) == pytest.approx(6 / 4)
    assert mean_cost(
        y_true, y_pred, cost_matrix=COST, sample_weight=[1, 2, 1, 0]
    ) == pytest.approx((1 + 10) / 4)
    flipped = [[0, 5], [1, 0]]
    assert mean_cost(
        y_true, y_pred, cost_matrix=flipped, labels=["pos", "neg"]
    ) == pytest.approx(6 / 4)


def test_mean_cost_agrees_with_confusion_matrix():
    """Check that the mean cost is the confusion matrix weighted by the costs."""
    rng = np.random.RandomState(0)
    y_true, y_pred = rng.randint(3, size=50), rng.randint(3, size=50)
    cost = rng.uniform(1, 5, size=(3, 3)) * (1 - np.eye(3))
    expected = (confusion_matrix(y_true, y_pred) * cost).sum() / 50
    assert mean_cost(y_true, y_pred, cost_matrix=cost) == pytest.approx(expected)


def test_mean_cost_dict_and_example_dependent_costs():
    """Check the dict form without labels and per-row cost matrices."""
    y_true, y_pred = ["neg", "pos", "pos"], ["pos", "neg", "pos"]
    dict_cost = {"neg": {"pos": 1}, "pos": {"neg": 5}}
    assert mean_cost(y_true, y_pred, cost_matrix=dict_cost) == pytest.approx(2.0)
    per_row = np.array([[[0, 1], [5, 0]], [[0, 2], [7, 0]], [[0, 1], [1, 3]]])
    assert mean_cost(y_true, y_pred, cost_matrix=per_row) == pytest.approx(11 / 3)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        (
            {"y_true": [0, 0, 1], "y_pred": [0, 0, 1], "cost_matrix": 1 - np.eye(3)},
            ValueError,
            r"cost_matrix has shape \(3, 3\) but y_true and y_pred have 2 classes",
        ),
        (
            {
                "y_true": [0, 2],
                "y_pred": [0, 1],
                "cost_matrix": 1 - np.eye(2),
                "labels": [0, 1],
            },
            ValueError,
            r"y_true contains labels \[2\] that are not among the classes \[0, 1\]",
        ),
        (
            {"y_true": [0, 1], "y_pred": [0, 1], "cost_matrix": np.ones((3, 2, 2))},
            ValueError,
            r"example-dependent costs need shape \(n_samples, n_classes, n_classes\)",
        ),
        (
            {"y_true": [0, 1], "y_pred": [0], "cost_matrix": 1 - np.eye(2)},
            ValueError,
            r"inconsistent numbers of samples",
        ),
        (
            {"y_true": [0, 1], "y_pred": [1, 1], "cost_matrix": 1 - np.eye(2),
             "sample_weight": [-1.0, 1.0]},
            ValueError,
            r"sample_weight has negative weights at rows \[0\]",
        ),
        (
            {"y_true": [0, 1], "y_pred": [1, 1], "cost_matrix": 1 - np.eye(2),
             "sample_weight": [np.nan, 1.0]},
            ValueError,
            r"sample_weight.*NaN",
        ),
        (
            {"y_true": [0, 1], "y_pred": [1, 1], "cost_matrix": 1 - np.eye(2),
             "sample_weight": [0.0, 0.0]},
            ValueError,
            r"sample_weight is zero on every row",
        ),
    ],
)
def test_mean_cost_errors(params, err_type, err_msg):
    """Check the errors of mean_cost."""
    with pytest.raises(err_type, match=err_msg):
        mean_cost(**params)


def test_normalized_cost():
    """Check normalisation by the best constant prediction."""
    y_true = ["neg"] * 8 + ["pos"] * 2
    # Always "neg" costs 2 * 5 / 10 = 1.0; always "pos" costs 8 / 10 = 0.8.
    assert normalized_cost(y_true, ["pos"] * 10, cost_matrix=COST) == 1.0
    assert normalized_cost(y_true, ["neg"] * 10, cost_matrix=COST) == 1.25
    assert normalized_cost(y_true, y_true, cost_matrix=COST) == 0.0
    weights = [1] * 8 + [4] * 2
    assert normalized_cost(
        y_true, ["pos"] * 10, cost_matrix=COST, sample_weight=weights
    ) == pytest.approx(8 / 8)
    with pytest.warns(UndefinedMetricWarning, match="a constant prediction costs"):
        cost = normalized_cost(
            ["neg", "neg"], ["neg", "pos"], cost_matrix=COST, labels=CLASSES
        )
    assert np.isnan(cost)


def test_cost_scorer_is_minus_the_mean_cost(string_data):
    """Check that the scorer returns minus the mean cost of the predictions."""
    X, y = string_data
    clf = LogisticRegression().fit(X, y)
    scorer = make_cost_scorer(COST)
    expected = -mean_cost(y, clf.predict(X), cost_matrix=COST)
    assert scorer(clf, X, y) == pytest.approx(expected)
    dict_scorer = make_cost_scorer({"neg": {"pos": 1}, "pos": {"neg": 5}})
    assert dict_scorer(clf, X, y) == pytest.approx(expected)


def test_cost_scorer_in_grid_search_with_string_labels(string_data):
    """Check the scorer inside GridSearchCV and cross_validate with string labels."""
    X, y = string_data
    scorer = make_cost_scorer(COST, labels=CLASSES)
    search = GridSearchCV(
        LogisticRegression(), {"class_weight": [None, "balanced"]}, scoring=scorer,
        cv=3,
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores <= 0)
    # Balancing the classes helps when a missed positive costs 5 false alarms.
    assert search.best_params_ == {"class_weight": "balanced"}
    result = cross_validate(LogisticRegression(), X, y, scoring=scorer, cv=3)
    assert np.all(result["test_score"] <= 0)


def test_cost_scorer_in_tuned_threshold_classifier(string_data):
    """Check the scorer as scoring of sklearn's TunedThresholdClassifierCV."""
    X, y = string_data
    tuned = TunedThresholdClassifierCV(
        LogisticRegression(), scoring=make_cost_scorer(COST), cv=3,
        store_cv_results=True,
    ).fit(X, y)
    # A missed "pos" costs 5 times a false alarm: the cut-off moves below 0.5.
    assert tuned.best_threshold_ < 0.5
    assert tuned.best_score_ == pytest.approx(tuned.cv_results_["scores"].max())
    assert tuned.best_score_ <= 0


def test_cost_functions_do_not_modify_inputs():
    """Check that neither the cost matrix nor the sample weights are modified."""
    cost = np.array([[0.0, 1.0], [5.0, 0.0]])
    weights = np.array([1.0, 2.0, 3.0])
    y_true, y_pred = np.array([0, 1, 1]), np.array([1, 1, 0])
    mean_cost(y_true, y_pred, cost_matrix=cost, sample_weight=weights)
    normalized_cost(y_true, y_pred, cost_matrix=cost, sample_weight=weights)
    make_cost_scorer(cost, labels=[0, 1])
    assert_array_equal(cost, [[0.0, 1.0], [5.0, 0.0]])
    assert_array_equal(weights, [1.0, 2.0, 3.0])


# --- Costs per row, labelled DataFrames, savings and the routed scorers. ---


def test_labelled_dataframe_is_read_by_label():
    """Check that a DataFrame labelled in another order than the classes is read by
    label, not transposed (the labels sort as ['fraud', 'ok'])."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        [[0, 1], [10, 0]], index=["ok", "fraud"], columns=["ok", "fraud"]
    )
    # A missed fraud (true fraud, predicted ok) costs 10.
    assert_array_equal(check_cost_matrix(frame, ["fraud", "ok"]), [[0, 10], [1, 0]])
    assert mean_cost(["fraud"], ["ok"], cost_matrix=frame, labels=["fraud", "ok"]) == 10
    assert mean_cost(["fraud", "ok"], ["ok", "ok"], cost_matrix=frame) == 5
    positional = pd.DataFrame([[0, 1], [10, 0]])
    assert_array_equal(check_cost_matrix(positional, ["a", "b"]), [[0, 1], [10, 0]])
    with pytest.raises(ValueError, match=r"is a DataFrame with index \['ok', 'bad'\]"):
        check_cost_matrix(
            pd.DataFrame(np.ones((2, 2)), index=["ok", "bad"], columns=["ok", "bad"]),
            ["fraud", "ok"],
        )


def test_check_cost_matrix_per_row():
    """Check that per-row costs are returned as a new float array of shape (n, K, K)."""
    costs = np.array([[[0, 1], [5, 0]], [[0, 2], [9, 0]]])
    result = check_cost_matrix(costs, CLASSES, n_samples=2)
    assert result.shape == (2, 2, 2) and result.dtype == np.float64
    assert not np.shares_memory(result, costs)
    # A single matrix stays a single matrix, whatever n_samples.
    assert check_cost_matrix(COST, CLASSES, n_samples=7).shape == (2, 2)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        (
            {"cost_matrix": np.ones((3, 2, 2)), "n_samples": 2},
            ValueError,
            r"holds 3 per-row cost matrices but X has 2 rows",
        ),
        (
            {"cost_matrix": np.ones((2, 3, 3))},
            ValueError,
            r"example-dependent costs need shape \(n_samples, n_classes, n_classes\)",
        ),
        (
            {"cost_matrix": np.array([[[0, 1], [1, 0]], [[0, -1], [1, 0]]])},
            ValueError,
            r"negative costs in rows \[1\]",
        ),
        (
            {"cost_matrix": np.array([[[0, np.inf], [1, 0]], [[0, 1], [np.nan, 0]]])},
            ValueError,
            r"non-finite costs in rows \[0, 1\]",
        ),
        (
            {"cost_matrix": np.ones((2, 2, 2, 2))},
            ValueError,
            r"cost_matrix has shape \(2, 2, 2, 2\) but y has 2 classes",
        ),
    ],
)
def test_check_cost_matrix_per_row_errors(params, err_type, err_msg):
    """Check the errors for per-row costs: shape, row count, negative, non-finite."""
    cost_matrix = np.array(params["cost_matrix"], copy=True)
    with pytest.raises(err_type, match=err_msg):
        check_cost_matrix(classes=CLASSES, **params)
    assert_array_equal(params["cost_matrix"], cost_matrix)


def test_binary_cost_matrix():
    """Check the binary convenience: [[tn, fp], [fn, tp]], scalars or per row."""
    assert_array_equal(binary_cost_matrix(fp=1, fn=5), [[0, 1], [5, 0]])
    amount = np.array([100.0, 30.0, 7.0])
    costs = binary_cost_matrix(fp=2.0, fn=amount, tp=2.0)
    assert costs.shape == (3, 2, 2)
    assert_array_equal(costs[:, 0, 1], 2.0)
    assert_array_equal(costs[:, 1, 0], amount)
    assert_array_equal(costs[:, 1, 1], 2.0)
    assert_array_equal(costs[:, 0, 0], 0.0)
    costs[0, 1, 0] = -1
    assert_array_equal(amount, [100.0, 30.0, 7.0])


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"fp": -1, "fn": 5}, ValueError, r"fp has negative or non-finite costs"),
        (
            {"fp": 1, "fn": [5, np.nan, 2]},
            ValueError,
            r"fn has negative or non-finite costs in rows \[1\]",
        ),
        ({"fp": [1, 2], "fn": [5, 6, 7]}, ValueError, r"different lengths"),
        ({"fp": np.ones((2, 2)), "fn": 1}, ValueError, r"fp has shape \(2, 2\)"),
        ({"fp": "high", "fn": 1}, ValueError, r"fp must be a number or a 1-d array"),
    ],
)
def test_binary_cost_matrix_errors(params, err_type, err_msg):
    """Check the errors of binary_cost_matrix, each naming the argument."""
    with pytest.raises(err_type, match=err_msg):
        binary_cost_matrix(**params)


def test_mean_cost_with_one_class_suggests_labels():
    """Check that a single class present in y_true and y_pred asks for labels=."""
    with pytest.raises(ValueError, match=r"hold a single class \[0\].*pass labels"):
        mean_cost([0, 0], [0, 0], cost_matrix=COST)
    assert mean_cost([0, 0], [0, 0], cost_matrix=COST, labels=[0, 1]) == 0.0


def test_savings_score_by_hand():
    """Check savings = 1 - cost / cost of the best constant policy, per-row costs."""
    costs = binary_cost_matrix(fp=1.0, fn=[10.0, 2.0, 0.5, 0.5])
    y_true = [1, 1, 0, 0]
    # Always 0 costs 12, always 1 costs 2: the best constant policy costs 2.
    assert savings_score(y_true, [1, 0, 0, 0], cost_matrix=costs) == 0.0
    assert savings_score(y_true, [0, 1, 0, 0], cost_matrix=costs) == pytest.approx(
        1 - 10 / 2
    )
    assert savings_score(y_true, y_true, cost_matrix=costs) == 1.0


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"cost_matrix": [[0, -1], [5, 0]]}, ValueError, r"negative costs"),
        ({"cost_matrix": [[0, 1, 2], [5, 0, 1]]}, ValueError, r"has shape \(2, 3\)"),
        ({"cost_matrix": [[0, np.nan], [5, 0]]}, ValueError, r"non-finite costs"),
        (
            {"cost_matrix": 1 - np.eye(3), "labels": ["a", "b"]},
            ValueError,
            r"has shape \(3, 3\) but labels has 2 classes",
        ),
    ],
)
def test_make_cost_scorer_validates_when_made(params, err_type, err_msg):
    """Check that a bad matrix fails when the scorer is made, not when it scores."""
    with pytest.raises(err_type, match=err_msg):
        make_cost_scorer(**params)
    with pytest.raises(err_type, match=err_msg):
        make_savings_scorer(**params)


@pytest.fixture(scope="module")
def amount_data():
    """Binary data where a miss costs the row's amount, a false alarm a fee."""
    X, y = make_classification(
        n_samples=400, n_features=5, weights=[0.8, 0.2], random_state=1
    )
    amount = np.random.default_rng(0).lognormal(3, 1, size=len(y))
    return X, y, binary_cost_matrix(fp=5.0, fn=amount)


def test_scorer_passes_routed_costs_to_predict(amount_data):
    """Check that the scorer hands per-row costs to an estimator's predict."""
    X, y, costs = amount_data
    clf = CostSensitiveClassifier(LogisticRegression()).fit(X, y)
    scorer = make_cost_scorer()
    expected = -mean_cost(y, clf.predict(X, cost_matrix=costs), cost_matrix=costs)
    assert scorer(clf, X, y, cost_matrix=costs) == pytest.approx(expected)
    # A plain classifier's predict takes no costs: scored by its own decisions.
    plain = LogisticRegression().fit(X, y)
    assert scorer(plain, X, y, cost_matrix=costs) == pytest.approx(
        -mean_cost(y, plain.predict(X), cost_matrix=costs)
    )
    with pytest.raises(ValueError, match=r"needs per-row costs at score time"):
        scorer(plain, X, y)


def test_scorers_in_cross_validate_and_grid_search_with_routing(amount_data):
    """Check that cross_validate and GridSearchCV score with each fold's own costs,
    passing them to predict, so the per-row rule is selected by its real cost."""
    X, y, costs = amount_data
    cost_scorer = make_cost_scorer().set_score_request(cost_matrix=True)
    savings_scorer = make_savings_scorer().set_score_request(cost_matrix=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        # Deciding needs the costs, fitting does not: say so, as routing asks.
        model = CostSensitiveClassifier(LogisticRegression()).set_fit_request(
            cost_matrix=False
        )
        result = cross_validate(
            model, X, y, cv=cv,
            scoring={"cost": cost_scorer, "savings": savings_scorer},
            params={"cost_matrix": costs}, return_estimator=True,
            return_indices=True,
        )
        search = GridSearchCV(
            CostSensitiveClassifier(
                LogisticRegression(), cost_matrix=COST
            ).set_fit_request(cost_matrix=False),
            {"cost_matrix": [None, COST]}, scoring=cost_scorer, cv=cv,
        ).fit(X, y, cost_matrix=costs)
    for model, test, cost, savings in zip(
        result["estimator"], result["indices"]["test"], result["test_cost"],
        result["test_savings"], strict=True,
    ):
        y_pred = model.predict(X[test], cost_matrix=costs[test])
        assert cost == pytest.approx(
            -mean_cost(y[test], y_pred, cost_matrix=costs[test])
        )
        assert savings == pytest.approx(
            savings_score(y[test], y_pred, cost_matrix=costs[test])
        )
    assert np.all(result["test_savings"] > 0)
    # Both candidates predict with the routed per-row costs, so they score alike.
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] == pytest.approx(scores[1])


def test_scorer_with_tuned_threshold_classifier_and_row_costs(amount_data):
    """Check the per-row scorer as scoring of TunedThresholdClassifierCV: one global
    threshold, scored with each fold's own costs."""
    X, y, costs = amount_data
    scorer = make_cost_scorer().set_score_request(cost_matrix=True)
    with sklearn.config_context(enable_metadata_routing=True):
        tuned = TunedThresholdClassifierCV(
            LogisticRegression(), scoring=scorer, cv=3, store_cv_results=True
        ).fit(X, y, cost_matrix=costs)
    assert tuned.best_score_ == pytest.approx(tuned.cv_results_["scores"].max())
    assert tuned.best_threshold_ < 0.5


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    arrays(float, (3, 3), elements=st.floats(0.0, 10.0)),
    st.permutations([0, 1, 2]),
)
def test_labelled_and_positional_cost_matrices_agree(matrix, order):
    """Check that a DataFrame labelled in any order gives the positional matrix."""
    pd = pytest.importorskip("pandas")
    if not np.any(matrix):
        matrix = matrix + 1.0
    labels = np.array(["a", "b", "c"])
    order = list(order)
    frame = pd.DataFrame(matrix[np.ix_(order, order)], index=labels[order],
                         columns=labels[order])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreasonableCostWarning)
        assert_array_equal(check_cost_matrix(frame, labels),
                           check_cost_matrix(matrix, labels))
