"""Class priors: the output bias they imply, and the prior correction of probabilities.

* Weighted prior (DESIGN §2): ``π^w_c = w_c n_c / Σ_j w_j n_j``.
* Output bias from priors: a sigmoid unit gets ``b = log(π^w_1 / π^w_0)``, a softmax
  ``b_c = log π^w_c``. Without weights this is ``log(pos / neg)`` (the TensorFlow
  imbalanced-data tutorial); with balanced weights it is 0.
* Prior correction (DESIGN §3; Saerens et al. 2002, King & Zeng 2001): a network
  trained with class weights estimates ``p_w(c|x) ∝ w_c p(c|x)``, so the honest
  probabilities are ``p(c|x) ∝ p_w(c|x) / w_c``, renormalised.
"""

import numpy as np

BIAS_INIT_OPTIONS = ("auto", "prior", "zeros")


def weighted_priors(counts, weights):
    """Class priors under class weights, ``π^w_c = w_c n_c / Σ_j w_j n_j``.

    Parameters
    ----------
    counts : ndarray of shape (n_classes,)
        Per-class counts (or summed sample weights).
    weights : ndarray of shape (n_classes,)
        Per-class weights; ones give the plain priors.

    Returns
    -------
    priors : ndarray of shape (n_classes,)

    Examples
    --------
    >>> import numpy as np
    >>> weighted_priors(np.array([95.0, 5.0]), np.array([1.0, 1.0]))
    array([0.95, 0.05])
    >>> weighted_priors(np.array([95.0, 5.0]), np.array([100 / 190, 10.0]))
    array([0.5, 0.5])
    """
    mass = np.asarray(counts, dtype=float) * np.asarray(weights, dtype=float)
    return mass / mass.sum()


def bias_from_priors(priors, n_outputs):
    """Output-layer bias whose untrained prediction equals ``priors``.

    Parameters
    ----------
    priors : ndarray of shape (n_classes,)
        Class priors, summing to one.
    n_outputs : int
        Output units: 1 (sigmoid, binary) or ``n_classes`` (softmax).

    Returns
    -------
    bias : ndarray of shape (n_outputs,)

    Examples
    --------
    >>> import numpy as np
    >>> bias_from_priors(np.array([0.95, 0.05]), 1)  # log(5 / 95)
    array([-2.944...])
    """
    priors = np.asarray(priors, dtype=float)
    if n_outputs == 1:
        return np.array([np.log(priors[1] / priors[0])])
    return np.log(priors)


def resolve_bias_init(bias_init, counts, weights, n_outputs):
    """The output bias to start from, or None to keep the model's own.

    Parameters
    ----------
    bias_init : {"auto", "prior", "zeros"}, array-like or None
        ``"auto"``: from the weighted priors; ``"prior"``: from the plain priors;
        ``"zeros"``: zeros; an array of shape ``(n_outputs,)``: used as given;
        None: leave the model's bias as built.
    counts, weights : ndarray of shape (n_classes,)
        Per-class counts and class weights.
    n_outputs : int
        Number of output units of the model.

    Returns
    -------
    bias : ndarray of shape (n_outputs,) or None
    """
    if bias_init is None:
        return None
    if isinstance(bias_init, str):
        if bias_init == "auto":
            return bias_from_priors(weighted_priors(counts, weights), n_outputs)
        if bias_init == "prior":
            return bias_from_priors(weighted_priors(counts, np.ones_like(counts)),
                                    n_outputs)
        if bias_init == "zeros":
            return np.zeros(n_outputs)
        raise ValueError(
            f"bias_init={bias_init!r} is not an option; use one of "
            f"{list(BIAS_INIT_OPTIONS)}, an array of shape ({n_outputs},) or None "
            "to keep the model's own bias."
        )
    # A pandas Series (list.index is a method, hence the to_numpy test).
    index = bias_init.index if hasattr(bias_init, "to_numpy") else None
    if index is not None and list(index) != list(range(len(index))):
        raise ValueError(
            f"bias_init is a pandas Series indexed by {list(index)[:10]!r}, but the "
            "bias is one value per output unit (one unit for two classes), not one "
            "per label; pass a plain array of "
            f"{n_outputs} floats in the order of the output units."
        )
    try:
        bias = np.asarray(bias_init, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"bias_init must be one of {list(BIAS_INIT_OPTIONS)}, None or an array "
            f"of {n_outputs} floats; got {bias_init!r}."
        ) from exc
    if bias.shape != (n_outputs,) or not np.all(np.isfinite(bias)):
        raise ValueError(
            f"bias_init has shape {bias.shape} (values {bias.tolist()!r}) but the "
            f"model has {n_outputs} output unit(s); pass {n_outputs} finite floats, "
            "one per output unit."
        )
    return bias


def correct_proba(weighted_proba, weights):
    """Undo the effect of class weights on predicted probabilities.

    ``p(c|x) ∝ p_w(c|x) / w_c``, renormalised over classes (Saerens et al. 2002).

    Parameters
    ----------
    weighted_proba : ndarray of shape (n_samples, n_classes)
        Probabilities of a model trained with class weights.
    weights : ndarray of shape (n_classes,)
        The class weights it was trained with.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        A new array of probabilities for the unweighted problem.

    Examples
    --------
    >>> import numpy as np
    >>> correct_proba(np.array([[0.5, 0.5]]), np.array([0.5, 9.5]))
    array([[0.95, 0.05]])
    """
    scaled = np.asarray(weighted_proba, dtype=float) / np.asarray(weights, dtype=float)
    return scaled / scaled.sum(axis=1, keepdims=True)
