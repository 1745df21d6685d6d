"""What ``skweight compare`` shows: the table, the progress, the files."""

import io
import json
import re

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

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


def test_write_outputs_appear_at_once(run, tmp_path):
    """Check every file, readable JSON without NaN, and no staging folder left."""
    table, details, meta = run
    written = write_outputs(tmp_path / "out", table, meta, details)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == written
    assert {"compare.csv", "compare.json", "report.html"} <= set(written)
    document = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert len(document["results"]) == len(table)
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
