"""Unique output feature names: generated names never shadow an input column or each other."""


def unique_names(names, reserved=()):
    """Make generated feature names unique, keeping the first use of each name.

    A name already used earlier in ``names``, or one of ``reserved`` (the input
    column names, which a generated name must not shadow), gets the first free
    suffix among ``"__2"``, ``"__3"``, ... The result depends only on the order of
    ``names``, so it is the same at every call.

    Parameters
    ----------
    names : iterable of str
        The generated names, in output order.
    reserved : iterable of str, default=()
        Names that no generated name may take.

    Returns
    -------
    names : list of str
        ``names`` with the clashing ones suffixed.

    Examples
    --------
    >>> from mmsk._names import unique_names
    >>> unique_names(["a_missing", "b", "b"], reserved=["a_missing"])
    ['a_missing__2', 'b', 'b__2']
    """
    taken = set(reserved)
    out = []
    for name in names:
        unique = name
        suffix = 2
        while unique in taken:
            unique = f"{name}__{suffix}"
            suffix += 1
        taken.add(unique)
        out.append(unique)
    return out
