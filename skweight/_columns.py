"""Feature columns ``skweight compare``, ``fit`` and ``predict`` leave out.

An identifier (a column whose values are unique per row: a customer id, a
transaction number) carries no signal a model can generalise from, yet a
network or a tree will happily memorise it. Such columns are reported and left
out, with a warning; ``--drop COL[,COL]`` leaves out any other.
"""

from ._compare_data import InputError, _did_you_mean
from ._messages import short_repr as quote


def id_like_columns(X):
    """Names of the columns whose values are unique per row (integers or text).

    Floating-point measurements are unique per row too and are kept; a column
    needs at least 20 rows to be judged.
    """
    if len(X) < 20:
        return []
    found = []
    for name in X.columns:
        column = X[name]
        if column.dtype.kind == "f" or column.dtype.kind == "b":
            continue
        if column.notna().all() and column.nunique() == len(X):
            found.append(name)
    return found


def drop_columns(X, drop, protected=()):
    """``(X without the dropped columns, warning lines, the names dropped)``.

    Parameters
    ----------
    X : DataFrame
        The features.
    drop : list of str or None
        ``--drop``: columns to leave out; each must exist.
    protected : tuple of str
        Columns that must stay (a per-row cost column, read from the features).
    """
    drop = list(drop or [])
    for name in drop:
        if name not in X.columns:
            raise InputError(f"--drop {quote(name)} is not a feature column"
                             f"{_did_you_mean(name, X)}")
        if name in protected:
            raise InputError(f"--drop {quote(name)}: it holds the per-row costs; "
                             "keep it, or pass the costs another way")
    found = [c for c in id_like_columns(X.drop(columns=drop))
             if c not in protected]
    if found and X.shape[1] == len(drop) + len(found):
        found = []  # every feature looks like an identifier: the data decides
    warnings = [f"column {quote(c)} has a different value on every row (an "
                "identifier?); left out of the features (keep it by renaming it "
                "or giving it repeated values)" for c in found]
    kept = X.drop(columns=[*drop, *found])
    if kept.shape[1] == 0:
        raise InputError(f"no feature column is left after dropping "
                         f"{quote([*drop, *found])}; keep at least one")
    return kept, warnings, [*drop, *found]
