"""Loader of the bundled Women's E-Commerce Clothing Reviews subset."""

from importlib import resources

import pandas as pd

from ._bundle import split_and_bundle

DATA_PACKAGE = "mmsk.datasets"
DATA_FOLDER = "data"
DATA_FILE = "clothing_reviews.csv.gz"
TARGET_COLUMN = "Recommended IND"
TARGET_NAMES = ["not recommended", "recommended"]

DESCR = """\
Women's E-Commerce Clothing Reviews (subset)
============================================

Customer reviews of women's clothing sold by an online retailer, with the reviewer's
age, the item's identifier and product categories. The task is to predict whether the
reviewer recommends the item.

:Number of instances: 4,000 (a stratified random subset of the 23,486 public rows)
:Number of features: 8
:Text features:
    - Title: title of the review (about 17% missing)
    - Review Text: body of the review (about 4% missing)
:Numeric features:
    - Age: age of the reviewer
    - Positive Feedback Count: number of other customers who found the review helpful
:Categorical features:
    - Clothing ID: identifier of the reviewed item (high cardinality)
    - Division Name, Department Name, Class Name: product categories (0.1% missing)
:Target: Recommended IND, 1 when the item is recommended (82%), 0 otherwise
:Source: Women's E-Commerce Clothing Reviews, a public Kaggle dataset listed CC0

The star rating of the public table is left out because it leaks the target.
"""


def load_clothing_reviews(*, return_X_y=False, as_frame=True):
    """Load the clothing reviews dataset (binary classification, text and tabular).

    A stratified random subset of 4,000 rows of the Women's E-Commerce Clothing
    Reviews dataset, shipped with the package so that it loads without a network
    connection. Each row is a customer review with two text columns, numeric and
    categorical columns, and whether the reviewer recommends the item.

    =================   ==============================
    Classes                                          2
    Samples total                                 4000
    Features            8 (2 text, 6 tabular)
    Missing values      yes (text and category columns)
    =================   ==============================

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch object.
    as_frame : bool, default=True
        If True, ``data`` is a pandas DataFrame and ``target`` a pandas Series, with
        the dtypes that :func:`pandas.read_csv` gives: integers for ``Clothing ID``,
        ``Age`` and ``Positive Feedback Count``, strings with NaN for missing values
        for the other columns. If False, ``data`` is a 2-D numpy array of objects and
        ``target`` a 1-D numpy array of integers.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with the attributes:

        data : pandas.DataFrame of shape (4000, 8) or ndarray
            The features, without the target.
        target : pandas.Series of shape (4000,) or ndarray
            ``Recommended IND``: 1 when the reviewer recommends the item, else 0.
        frame : pandas.DataFrame of shape (4000, 9) or None
            The features and the target together; None when ``as_frame=False``.
        target_names : list of str
            ``["not recommended", "recommended"]``, the meaning of 0 and 1.
        feature_names : list of str
            The names of the feature columns.
        DESCR : str
            Description of the dataset.

    (data, target) : tuple if ``return_X_y`` is True
        The features and the target, as described above.

    See Also
    --------
    make_multimodal_classification : Synthetic text and tabular classification data.

    Notes
    -----
    The public table's ``Rating`` column (1 to 5 stars) is not included because it
    almost determines the target. ``tools/make_demo_data.py`` in the source
    repository rebuilds the bundled file from the public table.

    Examples
    --------
    >>> from mmsk.datasets import load_clothing_reviews
    >>> X, y = load_clothing_reviews(return_X_y=True)
    >>> X.shape
    (4000, 8)
    >>> list(X.columns[:4])
    ['Clothing ID', 'Age', 'Title', 'Review Text']
    >>> round(float(y.mean()), 2)
    0.82
    """
    frame = _read_bundled_frame()
    return split_and_bundle(
        frame,
        TARGET_COLUMN,
        as_frame=as_frame,
        return_X_y=return_X_y,
        target_names=list(TARGET_NAMES),
        DESCR=DESCR,
    )


def _read_bundled_frame():
    path = resources.files(DATA_PACKAGE) / DATA_FOLDER / DATA_FILE
    with path.open("rb") as stream:
        return pd.read_csv(stream, compression="gzip")
