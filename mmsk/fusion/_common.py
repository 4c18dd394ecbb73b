"""Pieces shared by the fusion families: targets, weights, tags and nested fitting."""

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import has_fit_parameter

from .._validation import check_sample_weight, check_target


def encode_classes(estimator, y, n_samples, *, X=None):
    """Validate class labels, set ``classes_`` on ``estimator`` and encode ``y``.

    ``X``, the input table, is only compared with ``y`` by index (see
    :func:`~mmsk._validation.check_target`).

    Returns
    -------
    y_encoded : ndarray of int of shape (n_samples,)
        Indices into ``estimator.classes_``.
    """
    y = check_target(estimator, y, n_samples, classification=True, X=X)
    encoder = LabelEncoder()
    try:
        y_encoded = encoder.fit_transform(y)
    except TypeError as error:
        raise TypeError(
            f"The labels y of {type(estimator).__name__} must be all strings or all "
            f"numbers; got a mix ({error})."
        ) from None
    estimator.classes_ = encoder.classes_
    if len(estimator.classes_) < 2:
        raise ValueError(
            f"y has only one class ({estimator.classes_.tolist()[0]!r}): "
            f"{type(estimator).__name__} needs at least two classes to learn from."
        )
    return y_encoded


def combined_sample_weight(sample_weight, y_encoded, class_weight, classes, *, X=None):
    """Multiply user sample weights by class weights; None when neither is given.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Weights given to ``fit``.
    y_encoded : ndarray of shape (n_samples,)
        Encoded labels.
    class_weight : dict, "balanced" or None
        Class weights keyed by the user's labels.
    classes : ndarray
        The classes, in encoded order.
    X : pandas.DataFrame or None, default=None
        The input table, only compared with ``sample_weight`` by index.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    weights = check_sample_weight(sample_weight, len(y_encoded), X=X)
    if class_weight is None:
        return weights
    per_class = encoded_class_weight(class_weight, classes)
    class_weights = compute_sample_weight(per_class, y_encoded)
    return class_weights if weights is None else weights * class_weights


def encoded_class_weight(class_weight, classes):
    """Translate a ``class_weight`` dict keyed by labels into one keyed by indices.

    Raises
    ------
    ValueError
        When a key of the dict is not a class seen in ``y``.
    """
    if not isinstance(class_weight, dict):
        return class_weight
    index = {label: i for i, label in enumerate(classes.tolist())}
    unknown = [label for label in class_weight if label not in index]
    if unknown:
        raise ValueError(
            f"class_weight has keys {unknown} that are not classes of y; the classes are "
            f"{classes.tolist()}."
        )
    return {index[label]: weight for label, weight in class_weight.items()}


def accepts_sample_weight(estimator):
    """Whether ``estimator.fit`` (or the last step of a pipeline) takes sample_weight."""
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    return has_fit_parameter(final, "sample_weight")


def sample_weight_params(estimator, sample_weight, owner):
    """Fit parameters that pass ``sample_weight`` to ``estimator``, or a clear refusal.

    Parameters
    ----------
    estimator : estimator instance
        An estimator or a pipeline whose last step gets the weights.
    sample_weight : ndarray or None
    owner : str
        Who the estimator belongs to, for the error message.

    Returns
    -------
    params : dict
    """
    if sample_weight is None:
        return {}
    if not accepts_sample_weight(estimator):
        raise TypeError(
            f"sample_weight (or class_weight) was given, but the estimator of {owner} "
            f"({type(estimator).__name__}) does not accept sample_weight in fit. Use an "
            "estimator that does, or fit without weights."
        )
    if hasattr(estimator, "steps"):
        return {f"{estimator.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def check_estimator_type(estimator, expected, owner):
    """Refuse a regressor where a classifier is needed, and the reverse.

    A regressor's real-valued predictions read as class indices, or a classifier's
    labels read as numbers, would be silently wrong.

    Parameters
    ----------
    estimator : estimator instance
        The estimator given by the user. Pipelines and searches count as the kind of
        their final estimator, as :func:`sklearn.base.is_classifier` says.
    expected : {"classifier", "regressor"}
        What is needed.
    owner : str
        Where the estimator was given, for the message.

    Raises
    ------
    ValueError
        When ``estimator`` is not of the expected kind.
    """
    is_expected = is_classifier if expected == "classifier" else is_regressor
    if is_expected(estimator):
        return
    if is_classifier(estimator):
        received = "a classifier"
    elif is_regressor(estimator):
        received = "a regressor"
    else:
        received = "neither a classifier nor a regressor"
    raise ValueError(
        f"{owner} must be a {expected}; got {type(estimator).__name__}, which is "
        f"{received}. Pass a {expected} (sklearn.base.is_{expected} must be true for it; a "
        f"Pipeline or a search whose final estimator is a {expected} counts)."
    )


def multimodal_tags(tags):
    """Tags of an estimator that takes DataFrames with strings and missing values."""
    tags.input_tags.allow_nan = True
    tags.input_tags.string = True
    tags.input_tags.categorical = True
    return tags


def as_probabilities(probabilities, estimator_classes, n_classes):
    """Place the columns of ``predict_proba`` into the full list of encoded classes.

    An estimator fitted on rows where some classes never occur returns fewer columns;
    those classes get probability zero.
    """
    full = np.zeros((probabilities.shape[0], n_classes))
    full[:, np.asarray(estimator_classes, dtype=int)] = probabilities
    return full
