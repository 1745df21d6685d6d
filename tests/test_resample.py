"""RowSampler: random resampling of rows of any input form."""

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import NearMiss, RandomUnderSampler

from skweight import RowSampler

Y = np.array([0] * 16 + [1] * 4)


def _images():
    return np.arange(20 * 3 * 3, dtype=np.float32).reshape(20, 3, 3, 1)


@pytest.mark.parametrize("sampler", [RandomUnderSampler(random_state=0),
                                     RandomOverSampler(random_state=0)])
def test_picks_the_rows_the_sampler_picks_on_a_table(sampler):
    """Check that images get the rows a table with the same labels would get."""
    images = _images()
    table = images.reshape(len(images), -1)
    table_res, y_table = sampler.fit_resample(table, Y)
    row_sampler = RowSampler(sampler)
    images_res, y_res = row_sampler.fit_resample(images, Y)
    np.testing.assert_array_equal(y_res, y_table)
    np.testing.assert_array_equal(images_res.reshape(len(images_res), -1), table_res)
    np.testing.assert_array_equal(images_res, images[row_sampler.sample_indices_])
    assert np.bincount(y_res)[0] == np.bincount(y_res)[1]
    assert row_sampler.sampler_ is not sampler  # a fitted clone


def test_every_input_form_keeps_its_form():
    """Check lists of strings, Series, DataFrames and dicts of arrays."""
    text = [f"text {i}" for i in range(20)]
    frame = pd.DataFrame({"amount": np.arange(20.0), "city": list("ab") * 10})
    named = {"amount": np.arange(20.0).reshape(-1, 1), "words": np.array(text)}
    sampler = RowSampler(RandomUnderSampler(random_state=0))
    rows = sampler.fit(text, Y).sample_indices_
    for X in (text, pd.Series(text), frame, named):
        X_res, y_res = sampler.fit_resample(X, Y)
        np.testing.assert_array_equal(y_res, Y[rows])
        if isinstance(X, dict):
            assert list(X_res) == ["amount", "words"]
            np.testing.assert_array_equal(X_res["words"], named["words"][rows])
            np.testing.assert_array_equal(X_res["amount"], named["amount"][rows])
        elif isinstance(X, list):
            assert X_res == [text[i] for i in rows]
        else:
            assert type(X_res) is type(X)
            np.testing.assert_array_equal(np.asarray(X_res), np.asarray(X)[rows])


def test_default_is_random_undersampling():
    """Check that sampler=None undersamples the majority to the minority's size."""
    _, y_res = RowSampler().fit_resample(_images(), Y)
    assert np.bincount(y_res).tolist() == [4, 4]


def test_caller_data_unchanged():
    """Check that neither X nor y is modified."""
    images, y = _images(), Y.copy()
    before = images.copy()
    RowSampler(RandomOverSampler(random_state=0)).fit_resample(images, y)
    np.testing.assert_array_equal(images, before)
    np.testing.assert_array_equal(y, Y)


@pytest.mark.parametrize(
    "sampler, X, err_type, err_msg",
    [
        (SMOTE(), _images(), TypeError, r"RowSampler\(sampler=SMOTE\(\)\) needs a "
         "sampler that chooses whole rows"),
        (NearMiss(), _images(), TypeError, "Samplers that read the features"),
        (RandomOverSampler(shrinkage=1.0), _images(), TypeError,
         r"RandomOverSampler\(shrinkage=None\)"),
        (None, {"a": np.zeros((20, 2)), "b": np.zeros((19, 2))}, ValueError,
         r"different numbers of rows \(\{'a': 20, 'b': 19\}\)"),
        (None, {}, ValueError, "X is an empty dict"),
        (None, _images()[:5], ValueError, "X has 5 rows but y has 20 labels"),
    ],
)
def test_bad_input(sampler, X, err_type, err_msg):
    """Check the errors for samplers that read features and for bad X."""
    with pytest.raises(err_type, match=err_msg):
        RowSampler(sampler).fit_resample(X, Y)
