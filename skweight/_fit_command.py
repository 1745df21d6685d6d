"""``skweight fit``: train one strategy of ``skweight compare`` and save it.

The strategy is built as ``compare`` builds it (the same preprocessing, network
settings and seed), wrapped in the same
:class:`~skweight.CostSensitiveClassifier`: with ``--decision tuned`` the
network is fitted on 75 % of the rows and the threshold tuned on the other
25 % (the tuning split compare measured); otherwise it is fitted on every row.
The result, a :class:`~skweight._deployed.DeployedModel`, is saved with
:func:`skweight.save` (no pickle) for ``skweight predict``.
"""

import shlex
import sys
import warnings

from ._compare_data import InputError, first_line
from ._out_file import check_out_file
from ._quiet import import_backend_quietly


def _check_strategy(args, y, cost_matrix):
    """Before any fit: the strategy can be built, the classes suffice."""
    import numpy as np

    from ._baselines import BASELINE_NAMES
    from ._compare import TUNE_SIZE

    if args.strategy == "cost-weights":
        if cost_matrix.ndim == 3:
            raise InputError("--strategy cost-weights: class weights need one cost "
                             "matrix, not costs per row; pick another strategy")
        sums = cost_matrix.sum(axis=1)
        if np.allclose(sums, sums[0]):
            raise InputError("--strategy cost-weights: every class has the same "
                             "total cost, so cost weights are no weights; give "
                             "unequal costs with --cost-matrix, or pick another")
    classes, counts = np.unique(y, return_counts=True)
    if args.cross_fit and args.strategy not in BASELINE_NAMES and counts.min() < 2:
        small = classes[np.argmin(counts)]
        raise InputError(f"--cross-fit: class {_plain(small)!r} has only 1 row; "
                         "each member trains on all folds but one, which needs 2 "
                         "rows of every class; leave out --cross-fit")
    if args.decision == "tuned" and counts.min() * TUNE_SIZE < 1:
        small = classes[np.argmin(counts)]
        rows = f"{counts.min()} row{'s' if counts.min() > 1 else ''}"
        raise InputError(f"--decision tuned: class {_plain(small)!r} has {rows}; "
                         f"tuning holds out {TUNE_SIZE:.0%} of each class and "
                         "needs one there; use --decision bayes")


def _members_text(args):
    """How many networks the strategy trains, when more than one."""
    from ._baselines import BASELINE_NAMES

    if args.members == 1 or args.strategy in BASELINE_NAMES:
        return ""
    return f" ({args.members} {'cross-fitted ' if args.cross_fit else ''}members)"


def _cost_options(args):
    """The per-row cost options of the run, for predict to reuse."""
    options = {name: getattr(args, name) for name in
               ("fn_cost", "fn_cost_column", "fp_cost", "fp_cost_column", "positive")}
    return options if any(v is not None for k, v in options.items()
                          if k != "positive") else None


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def run(args, argv):
    """Run ``skweight fit``; ``argv`` are the words after the program name."""
    import numpy as np

    from . import _compare_data
    from ._baselines import BASELINE_NAMES
    from ._compare_command import network_params, prepare_features

    check_out_file(args.out)
    data = _compare_data.load(args)
    data.setdefault("dropped_columns", [])
    column_warnings = prepare_features(data, args)
    X, y, cost_matrix = data["X"], data["y"], data["cost_matrix"]
    _check_strategy(args, y, cost_matrix)
    if args.members > 1 and args.strategy in BASELINE_NAMES:
        column_warnings.append(f"--members and --cross-fit apply to the network "
                               f"strategies; {args.strategy} is fitted once")
    for line in column_warnings:
        print(f"skweight: warning: {line}", file=sys.stderr)
    import_backend_quietly()
    from sklearn.utils import check_random_state

    from . import save
    from ._baselines import baseline_strategies
    from ._compare import TUNE_SIZE, _wrapped
    from ._deployed import DeployedModel, columns_info, for_prediction
    from ._strategies import default_strategies

    strategies = default_strategies(cost_matrix, args.random_state,
                                    preprocessor=data["preprocessor"],
                                    network_params=network_params(args))
    strategies |= baseline_strategies(args.random_state,
                                      preprocessor=data["preprocessor"])
    per_row = cost_matrix.ndim == 3
    # The tuning split's seed, drawn as compare draws it.
    tune_seed = int(check_random_state(args.random_state).randint(
        np.iinfo(np.int32).max))
    model = _wrapped(strategies[args.strategy], None if per_row else cost_matrix,
                     (args.decision,), TUNE_SIZE, tune_seed)
    params = {"cost_matrix": cost_matrix} if per_row and args.decision == "tuned" \
        else {}
    print(f"{data['about']}\n{data['costs']}")
    print(f"fitting {args.strategy}{_members_text(args)} on {len(y)} rows, "
          f"decided by {args.decision}", file=sys.stderr, flush=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.fit(X, y, **params)
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        print(f"skweight: error: fitting {args.strategy} failed, nothing was "
              f"written: {type(exc).__name__}: {first_line(exc)}", file=sys.stderr)
        return 1
    model.estimator_ = for_prediction(model.estimator_)
    model.estimator = model.estimator_  # the unfitted resampling pipeline is not kept
    info = {
        "strategy": args.strategy, "decision": args.decision,
        "target": None if args.file is None else str(args.target),
        "columns": columns_info(X) if hasattr(X, "columns") else {},
        "dropped_columns": [str(c) for c in data["dropped_columns"]],
        "classes": [_plain(c) for c in model.classes_],
        "costs": data["costs"],
        "cost_matrix": None if per_row else cost_matrix.tolist(),
        "row_costs": _cost_options(args) if per_row else None,
        "command": shlex.join(["skweight", *argv]), "n_rows": int(len(y)),
    }
    save(DeployedModel(estimator=model, info=info), args.out)
    threshold = getattr(model, "threshold_", None)
    said = f"; threshold on p({_plain(model.classes_[1])!r}) {threshold:.4g}" \
        if threshold is not None and args.decision != "argmax" else ""
    print(f"saved {args.strategy} ({args.decision}{said}) to {args.out}; apply it "
          f"with: skweight predict {shlex.quote(args.out)} NEW.csv --out "
          "decisions.csv")
    return 0
