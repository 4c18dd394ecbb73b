"""What every bundled-data loader returns, built once."""

from sklearn.utils import Bunch


def split_and_bundle(frame, target_column, *, as_frame, return_X_y, **fields):
    """Split a bundled table into data and target, the way scikit-learn loaders do.

    Parameters
    ----------
    frame : pandas.DataFrame
        The whole table, target included.
    target_column : str
        The target's column.
    as_frame : bool
        Keep DataFrame and Series; otherwise a 2-D object array and a 1-D array (and
        no ``frame``).
    return_X_y : bool
        Return ``(data, target)`` instead of a Bunch.
    **fields : dict
        Further attributes of the Bunch (``target_names``, ``DESCR``, ...).

    Returns
    -------
    data_and_target : Bunch or tuple
    """
    X = frame.drop(columns=target_column)
    y = frame[target_column]
    feature_names = list(X.columns)
    if not as_frame:
        X, y, frame = X.to_numpy(dtype=object), y.to_numpy(), None
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, frame=frame, feature_names=feature_names, **fields)
