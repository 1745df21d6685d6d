"""How error messages quote what they received.

Errors name the value they reject; a value may be a 100,000-character header or
a million-row array, so every message quotes it through :func:`short_repr`.
"""


def short_repr(value, limit=80):
    """``repr(value)``, cut to about ``limit`` characters.

    Parameters
    ----------
    value : object
        What an error message quotes.
    limit : int, default=80
        Characters kept of a longer ``repr``.

    Returns
    -------
    text : str
        The whole ``repr``, or its first ``limit`` characters followed by
        ``"... (N characters)"``.

    Examples
    --------
    >>> from skweight._messages import short_repr
    >>> short_repr("x" * 200, limit=10)
    "'xxxxxxxxx... (202 characters)"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
