"""The data shipped inside the package."""

import numpy as np
import pytest

from skweight.datasets import load_yeast


def test_yeast_multiclass_counts():
    """Check the ten localization sites and their published counts."""
    bunch = load_yeast()
    assert bunch.data.shape == (1484, 8)
    labels, counts = np.unique(bunch.target, return_counts=True)
    assert dict(zip(labels, counts, strict=True)) == {
        "CYT": 463, "NUC": 429, "MIT": 244, "ME3": 163, "ME2": 51, "ME1": 44,
        "EXC": 35, "VAC": 30, "POX": 20, "ERL": 5,
    }
    assert np.all((bunch.data >= 0) & (bunch.data <= 1))


def test_yeast_one_vs_rest_as_frame():
    """Check the binary form (yeast6 is EXC vs rest) and the pandas form."""
    pytest.importorskip("pandas")
    X, y = load_yeast(positive_class="EXC", return_X_y=True, as_frame=True)
    assert list(X.columns) == ["mcg", "gvh", "alm", "mit", "erl", "pox", "vac", "nuc"]
    assert int(y.sum()) == 35


def test_yeast_unknown_positive_class():
    """Check that an unknown class is named with the valid choices."""
    with pytest.raises(ValueError, match=r"positive_class='XYZ'.*'CYT'"):
        load_yeast(positive_class="XYZ")
