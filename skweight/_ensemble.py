"""Ensembles of networks: seeds of the members and the average of their probabilities.

With ``n_members`` greater than one, ``WeightedKerasClassifier`` trains that many
networks of one configuration, each from its own seed, on the same rows, with the
same class state (classes, class weights, priors, output bias) and the same
early-stopping validation split. Their prior-corrected probabilities are averaged
(a deep ensemble, Lakshminarayanan, Pritzel & Blundell 2017; DESIGN §8): averaging
after the correction, not before, keeps the average a mixture of honest
probabilities, each member's ``p_k(c|x) ∝ p_w,k(c|x) / w_c``.

With ``cross_fit=True`` the members do not share the split: member ``k`` holds
out fold ``k`` of a stratified split (:func:`skweight._calibration.cross_fit_rows`)
and the calibration map is fitted on every row's out-of-fold probability.

The first member is seeded with the fit's own seed, so ``n_members=1`` is exactly
the single network; the others get seeds derived from it by NumPy's
``SeedSequence``, so a seeded ensemble is reproducible.
"""

import numpy as np

from ._epochs import split_rows
from ._priors import correct_proba
from ._random import MAX_SEED


def member_seeds(seed, n_members):
    """The seed of each member: the fit's seed first, then seeds derived from it.

    Parameters
    ----------
    seed : int or None
        The fit's integer seed (:func:`skweight._random.integer_seed`); None
        leaves every member unseeded.
    n_members : int

    Returns
    -------
    seeds : list of int or None
        ``n_members`` seeds, distinct for a seeded fit.

    Examples
    --------
    >>> member_seeds(0, 3)[0]
    0
    >>> member_seeds(0, 3) == member_seeds(0, 3)
    True
    >>> member_seeds(None, 2)
    [None, None]
    """
    if seed is None:
        return [None] * n_members
    seeds = [seed]
    for child in np.random.SeedSequence(seed).spawn(n_members - 1):
        derived = int(child.generate_state(1)[0]) % MAX_SEED
        while derived in seeds:  # distinct, however unlikely a collision
            derived = (derived + 1) % MAX_SEED
        seeds.append(derived)
    return seeds


def mean_corrected_proba(weighted_probas, output_factors):
    """The average of the members' prior-corrected probabilities.

    ``p(c|x) = (1/M) Σ_k p_k(c|x)`` with ``p_k(c|x) ∝ p_w,k(c|x) / f_c``
    (Saerens et al. 2002; Lakshminarayanan et al. 2017).

    Parameters
    ----------
    weighted_probas : list of ndarray of shape (n_samples, n_classes)
        Each member's probabilities as trained (with the class weights).
    output_factors : ndarray of shape (n_classes,)
        The factors ``f_c`` the outputs carry on top of ``p(c|x)``.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        A new array.

    Examples
    --------
    >>> import numpy as np
    >>> mean_corrected_proba([np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])],
    ...                      np.array([1.0, 1.0]))
    array([[0.7, 0.3]])
    """
    total = None
    for weighted in weighted_probas:
        corrected = correct_proba(weighted, output_factors)
        total = corrected if total is None else total + corrected
    return total / len(weighted_probas)


def to_weighted_scale(proba, output_factors):
    """Map honest probabilities back to the scale the network trained on.

    ``p_w(c|x) ∝ f_c p(c|x)``, the inverse of prior correction: for one network it
    gives back the network's own output; for an ensemble, the probabilities whose
    argmax is the Bayes rule with the costs the class weights imply
    (``C[i, j] = w_i``), applied to the averaged probabilities.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
    output_factors : ndarray of shape (n_classes,)

    Returns
    -------
    weighted_proba : ndarray of shape (n_samples, n_classes)
        A new array.
    """
    scaled = np.asarray(proba, dtype=float) * np.asarray(output_factors, dtype=float)
    return scaled / scaled.sum(axis=1, keepdims=True)


def member_data(train, validation, sample_weight, member_rows, n_members,
                early_stopping):
    """Each member's ``(train, validation)``, made as the member's turn comes.

    Without ``member_rows`` every member gets the same rows. With them
    (``cross_fit``), member ``k`` trains on ``member_rows[k][0]`` and holds out
    ``member_rows[k][1]``, watched by early stopping if on; its rows are copied
    only for its own turn, so memory holds one member's copy at a time.
    """
    if member_rows is None:
        validation = validation if early_stopping else None
        yield from [(train, validation)] * n_members
        return
    for rows in member_rows:
        member_train, held_out = split_rows(*train, sample_weight, rows)
        yield member_train, held_out if early_stopping else None
