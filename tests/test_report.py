"""What ``skweight compare`` shows: the table, the progress, the files."""

import io
import json
import re

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Bunch

from skweight import compare_strategies
from skweight._report import (
    Progress,
    check_out,
    header,
    legend,
    plain_table,
    print_table,
    report_html,
    write_outputs,
)

COST = [[0.0, 1.0], [5.0, 0.0]]


@pytest.fixture(scope="module")
def run():
    X, y = make_classification(n_samples=200, n_features=4, weights=[0.8, 0.2],
                               random_state=0)
    y = np.array(["ok", "fraud"])[y]
    table, details = compare_strategies(
        X, y, cost_matrix=COST, cv=2, random_state=0, return_predictions=True,
        strategies={"logistic": LogisticRegression(), "prior": DummyClassifier()})
    table = table.sort_values("normalized_cost_mean", ignore_index=True)
    meta = {"data": "200 synthetic rows", "classes": ["fraud", "ok"],
            "cost_matrix": COST, "failed": {}, "skipped": {},
            "costs": "the costs", "header": header("200 synthetic rows", "the costs",
                                                   y),
            "measured": "2 strategies x 2 folds", "legend": legend(("bayes",), 0.25)}
    return table, details, meta


def test_plain_table_when_not_a_terminal(run):
    """Check that a pipe gets aligned plain text, ranked, with no box drawing."""
    table, _, _ = run
    stream = io.StringIO()
    print_table(table, stream)
    text = stream.getvalue()
    assert text == plain_table(table) + "\n"
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["rank", "strategy", "decision"]
    assert lines[0].split()[-6:] == ["Brier", "ECE", "bal.", "acc", "fit", "s"]
    assert [line.split()[0] for line in lines[1:]] == [str(i) for i in range(1, 7)]
    assert len({len(line) for line in lines[1:]}) == 1  # aligned
    assert not re.search("[─━│┃]", text)


def test_progress_plain_lines():
    """Check one progress line per strategy when stderr is not a terminal."""
    stream = io.StringIO()
    with Progress(stream) as progress:
        progress(1, 2)
        progress(2, 2)
    assert stream.getvalue().splitlines() == ["cross-validated 1/2 strategies",
                                              "cross-validated 2/2 strategies"]


def test_header_names_the_costs_and_the_positive_class():
    """Check the lines printed before the run."""
    text = header("data", "the costs", ["ok", "fraud", "ok"])
    assert text.splitlines() == [
        "data", "the costs",
        "positive class (average precision, figures): 'ok', the second in sorted "
        "order"]


def test_html_is_self_contained_and_labelled(run):
    """Check the report: labelled cost matrix, the ranked rows, embedded figures,
    nothing fetched from a network, user text escaped."""
    pytest.importorskip("matplotlib")
    table, details, meta = run
    from skweight._figures import figures

    made = figures(details)
    page = report_html(table, {**meta, "data": "<b>x</b>"}, made)
    assert "<th class=\"l\">fraud</th><td>0.0</td><td>1.0</td>" in page
    assert "<th class=\"l\">ok</th><td>5.0</td><td>0.0</td>" in page
    assert page.count("data:image/png;base64,") == len(made) == 3
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    # two header rows, two cost rows, one row per strategy and decision
    assert page.count("<tr>") == 2 + 2 + len(table)
    assert "2 strategies x 2 folds" in page
    assert "<th>Brier</th><th>ECE</th>" in page


def test_write_outputs_appear_at_once(run, tmp_path):
    """Check every file, readable JSON without NaN, and no staging folder left."""
    table, details, meta = run
    written = write_outputs(tmp_path / "out", table, meta, details)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == written
    assert {"compare.csv", "compare.json", "report.html"} <= set(written)
    document = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert len(document["results"]) == len(table)
    eces = [row["ece_mean"] for row in document["results"]]
    assert all(0 <= e <= 1 for e in eces)
    assert "ece_std" in (tmp_path / "out" / "compare.csv").read_text().splitlines()[0]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_outputs_failing_leaves_nothing(run, tmp_path):
    """Check that an error while writing leaves neither --out nor a staging folder."""
    table, details, meta = run
    with pytest.raises(KeyError):
        write_outputs(tmp_path / "out", table, {"classes": ["fraud", "ok"]}, details)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make_path, expected",
    [
        (lambda d: d / "new" / "deeper", None),
        (lambda d: d, None),
        (lambda d: (d / "f.txt").write_text("x") and d / "f.txt",
         "exists and is not a folder"),
        (lambda d: "/proc/skweight-out", "'/proc' is not writable"),
        (lambda d: "", "pass a folder name"),
    ],
    ids=["new", "existing", "a-file", "not-writable", "empty"],
)
def test_check_out(make_path, expected, tmp_path):
    """Check that --out is judged before any fit, and that nothing is created."""
    path = make_path(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    problem = check_out(path)
    assert (problem is None) if expected is None else (expected in problem)
    assert sorted(tmp_path.rglob("*")) == before


def test_recommendation_ties_and_identical_groups():
    """Check the recommendation: the best row, a copy of a strategy grouped with
    it (identical probabilities), a much worse one not tied, and the comparison
    with the best constant policy computed by hand."""
    from skweight._recommend import group_rows, identical_groups, recommend

    X, y = make_classification(n_samples=400, n_features=4, weights=[0.8, 0.2],
                               random_state=0)
    table, details = compare_strategies(
        X, y, cost_matrix=COST, cv=4, random_state=0, return_predictions=True,
        decisions=("bayes",),
        strategies={"logistic": LogisticRegression(),
                    "same": LogisticRegression(),
                    "prior": DummyClassifier()})
    table = table.sort_values("normalized_cost_mean", ignore_index=True)
    groups = identical_groups(details)
    assert groups == [["logistic", "same"]]
    shown = group_rows(table, groups)
    assert list(shown["shown"]) == ["logistic = same", "prior"]
    advice = recommend(shown, details)
    assert (advice["strategy"], advice["decision"]) == ("logistic", "bayes")
    assert advice["tied"] == []  # the dummy costs far more on every fold
    y_idx = np.asarray(y)
    constant = min(np.mean(np.array(COST)[y_idx, j]) for j in range(2))
    assert advice["constant"]["cost"] == pytest.approx(constant)
    assert advice["lines"][0].startswith("Recommended: logistic (identical "
                                         "probabilities: logistic = same), decided "
                                         "by the Bayes rule under the costs (bayes)")
    assert "lower than the best constant policy" in advice["lines"][0]
    assert json.dumps(advice)  # goes into compare.json as it is


def test_paired_test_ties_close_rows_and_warns_on_spread():
    """Check that two rows whose per-fold costs differ by noise are tied, and that
    a fold spread larger than the gap is a warning."""
    from skweight._recommend import _paired_p

    assert _paired_p([0.3, 0.5, 0.2, 0.6], [0.31, 0.45, 0.25, 0.58]) > 0.05
    assert _paired_p([0.3, 0.5, 0.2, 0.6], [0.3, 0.5, 0.2, 0.6]) == 1.0
    assert _paired_p([0.3, 0.5, 0.2, 0.6], [0.4, 0.6, 0.3, 0.7]) == 0.0
    assert _paired_p([0.3, 0.5, 0.2, 0.6], [0.41, 0.62, 0.33, 0.69]) < 0.05


def test_id_like_columns_are_left_out_with_a_warning():
    """Check that a column unique per row (integers or text) is left out, a float
    measurement kept, and --drop checked."""
    import pandas as pd

    from skweight._columns import drop_columns
    from skweight._compare_data import InputError

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": np.arange(50), "name": [f"n{i}" for i in range(50)],
                      "x": rng.normal(size=50), "kind": ["a", "b"] * 25})
    kept, lines, dropped = drop_columns(X, ["kind"])
    assert list(kept.columns) == ["x"]
    assert dropped == ["kind", "id", "name"]
    assert "column 'id' has a different value on every row" in lines[0]
    with pytest.raises(InputError, match="--drop 'nope' is not a feature column"):
        drop_columns(X, ["nope"])
    assert list(X.columns) == ["id", "name", "x", "kind"]  # the caller's data


def test_figures_show_the_recommendation_ties_and_baselines(run):
    """Check that a figure draws at most the chosen strategies, each with its own
    line style and marker, the legend outside the axes."""
    pytest.importorskip("matplotlib")
    _, details, _ = run
    from skweight._figures import figures

    made = figures(details, ["prior", "logistic"])
    ax = made["cost_vs_threshold.png"].axes[0]
    curves = [line for line in ax.get_lines() if line.get_label() in
              ("prior", "logistic")]
    assert len(curves) == 2
    assert len({(c.get_linestyle(), c.get_marker()) for c in curves}) == 2
    legend = ax.get_legend()
    made["cost_vs_threshold.png"].canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1
    assert figures(details, ["logistic"])["precision_recall.png"].axes[0] \
        .get_legend().get_texts()[0].get_text() == "logistic"


@pytest.fixture(scope="module")
def calibrated_run(binary_data, small):
    """A small compare of the balanced network, its calibrated version and a
    logistic regression, with the out-of-fold predictions."""
    from skweight import default_strategies

    X, y = binary_data
    networks = default_strategies(COST, random_state=0, network_params={
        k: small[k] for k in ("hidden_layer_sizes", "epochs", "learning_rate")})
    strategies = {"logistic": LogisticRegression(),
                  **{k: networks[k] for k in ("balanced", "balanced+calibrated")}}
    return compare_strategies(X, y, cost_matrix=COST, cv=2, random_state=0,
                              decisions=("bayes",), strategies=strategies,
                              return_predictions=True)


def _labels(ax):
    return {line.get_label() for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def test_reliability_draws_calibrated_against_uncalibrated(calibrated_run):
    """Check a third panel with the calibrated strategy and the one it
    calibrates, drawn even when the figures show neither, one legend for all
    panels, outside them, and two panels without a calibrated strategy."""
    pytest.importorskip("matplotlib")
    from skweight._figures import figures

    table, details = calibrated_run
    assert set(table["strategy"]) == {"logistic", "balanced", "balanced+calibrated"}
    assert np.isfinite(table["ece_mean"]).all()
    figure = figures(details, ["logistic"])["reliability.png"]
    axes = figure.axes
    assert len(axes) == 3
    assert _labels(axes[0]) == _labels(axes[1]) == {"logistic"}
    assert _labels(axes[2]) == {"balanced", "balanced+calibrated"}
    assert "balanced+calibrated vs balanced" in axes[2].get_title()
    plain, calibrated = (next(line for line in axes[2].get_lines()
                              if line.get_label() == name)
                         for name in ("balanced", "balanced+calibrated"))
    assert not np.array_equal(plain.get_xdata(), calibrated.get_xdata())
    assert (plain.get_color(), plain.get_linestyle()) != (
        calibrated.get_color(), calibrated.get_linestyle())
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "logistic", "balanced", "balanced+calibrated"]
    figure.draw_without_rendering()  # the constrained layout places the legend
    assert legend.get_window_extent().x0 >= axes[2].get_window_extent().x1

    everything = figures(details)["reliability.png"].axes
    assert _labels(everything[1]) == {"logistic", "balanced", "balanced+calibrated"}
    without = Bunch(**{**details, "proba": {
        k: v for k, v in details.proba.items() if k != "balanced+calibrated"}})
    assert len(figures(without)["reliability.png"].axes) == 2


def test_reliability_of_several_classes_on_linear_axes(multiclass_data):
    """Check that with three classes the top label is drawn on linear axes
    (its confidence is at least 1/3, where log axes squeeze it into a corner)."""
    pytest.importorskip("matplotlib")
    from skweight._figures import figures

    X, y = multiclass_data
    _, details = compare_strategies(X, y, cv=2, random_state=0,
                                    strategies={"logistic": LogisticRegression()},
                                    return_predictions=True)
    ax = figures(details)["reliability.png"].axes[1]
    assert ax.get_xscale() == ax.get_yscale() == "linear"
    assert ax.get_xlabel() == "top-label confidence" and ax.get_ylabel() == ""
    assert _labels(ax) == {"logistic"}
