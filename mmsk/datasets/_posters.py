"""Loader of the bundled poster listings demo: thumbnails, descriptions and prices."""

from importlib import resources
from pathlib import Path

import pandas as pd

from ._bundle import split_and_bundle

DATA_PACKAGE = "mmsk.datasets"
DATA_FOLDER = "data"
DATA_FILE = "poster_listings.csv.gz"
IMAGE_COLUMN = "image"
TARGET_COLUMN = "sold"
TARGET_NAMES = ["not sold", "sold"]
MODALITIES = [
    ("image", ["image"]),
    ("text", ["description"]),
    ("tabular", ["price", "seller_rating", "size"]),
]

DESCR = """\
Poster listings (image, text and tabular demo)
==============================================

Posters offered by an imaginary online print shop. Each listing has a 48x48 RGB
thumbnail (a PNG file cut from one of eight real photographs shipped with
scikit-image and scikit-learn: a cat, a galaxy, an astronaut, a flower, a cup of
coffee, a temple, a rocket and coins), a short description, a price, the seller's
rating and a paper size. The task is to predict whether the poster sold within a
month.

:Number of instances: 400 (50 thumbnails per photograph, balanced target)
:Number of features: 5
:Image feature:
    - image: absolute path of the thumbnail's PNG file
:Text feature:
    - description: a neutral phrase and three condition phrases
:Numeric features:
    - price: price in euros
    - seller_rating: the seller's rating, from 3.0 to 5.0
:Categorical feature:
    - size: paper size, A4 to A1 (unrelated to the target)
:Target: sold, 1 when the poster sold (50%), 0 otherwise

The target follows three hidden effects of equal weight: the photograph's theme,
which only the thumbnail shows; the number of favourable condition phrases in the
description; and a low price with a high seller rating. Each modality alone thus
predicts part of the target and their fusion predicts it best.
"""


def load_poster_listings(*, return_X_y=False, as_frame=True):
    """Load the poster listings demo (binary classification, image, text and tabular).

    A small table, shipped with the package, in which the image, the text and the
    tabular columns each carry part of the target, so that fusing the three
    modalities beats every single one. Each row is a poster for sale with a
    thumbnail (a PNG file cut from a real photograph), a short description, a price,
    a seller rating and a paper size.

    =================   ==============================
    Classes                                          2
    Samples total                                  400
    Features            5 (1 image, 1 text, 3 tabular)
    Missing values      no
    =================   ==============================

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch object.
    as_frame : bool, default=True
        If True, ``data`` is a pandas DataFrame and ``target`` a pandas Series, with
        the dtypes that :func:`pandas.read_csv` gives: floats for ``price`` and
        ``seller_rating``, strings for ``image``, ``description`` and ``size``. If
        False, ``data`` is a 2-D numpy array of objects and ``target`` a 1-D numpy
        array of integers.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with the attributes:

        data : pandas.DataFrame of shape (400, 5) or ndarray
            The features, without the target. The ``image`` column holds the
            absolute paths of the PNG files inside the installed package.
        target : pandas.Series of shape (400,) or ndarray
            ``sold``: 1 when the poster sold, else 0.
        frame : pandas.DataFrame of shape (400, 6) or None
            The features and the target together; None when ``as_frame=False``.
        target_names : list of str
            ``["not sold", "sold"]``, the meaning of 0 and 1.
        feature_names : list of str
            The names of the feature columns.
        modalities : list of (str, list of str)
            The ``(name, columns)`` pair of each modality: ``"image"``, ``"text"``
            and ``"tabular"``.
        filename : str
            Absolute path of the bundled CSV file, whose ``image`` column holds
            paths relative to the file's folder.
        DESCR : str
            Description of the dataset.

    (data, target) : tuple if ``return_X_y`` is True
        The features and the target, as described above.

    See Also
    --------
    get_data_folder : The folder of the bundled files.
    load_clothing_reviews : A real table with text and tabular columns.
    make_multimodal_classification : Synthetic data, with images if asked for.

    Notes
    -----
    The photographs come from ``skimage.data`` (``chelsea``, ``hubble_deep_field``,
    ``astronaut``, ``coffee``, ``rocket``, ``coins``) and from
    :func:`sklearn.datasets.load_sample_image` (``flower.jpg``, ``china.jpg``).
    ``tools/make_image_demo.py`` in the source repository rebuilds the bundled
    files; ``mmsk/datasets/data/README.md`` describes how the target was drawn.

    Examples
    --------
    >>> from pathlib import Path
    >>> from mmsk.datasets import load_poster_listings
    >>> X, y = load_poster_listings(return_X_y=True)
    >>> X.shape
    (400, 5)
    >>> list(X.columns)
    ['image', 'description', 'price', 'seller_rating', 'size']
    >>> path = Path(X["image"].iloc[0])
    >>> path.is_absolute(), path.suffix, path.is_file()
    (True, '.png', True)
    >>> float(y.mean())
    0.5
    """
    csv_path = get_data_folder() / DATA_FILE
    frame = pd.read_csv(csv_path, compression="gzip")
    frame[IMAGE_COLUMN] = [str(csv_path.parent / name) for name in frame[IMAGE_COLUMN]]
    return split_and_bundle(
        frame,
        TARGET_COLUMN,
        as_frame=as_frame,
        return_X_y=return_X_y,
        target_names=list(TARGET_NAMES),
        modalities=[(name, list(columns)) for name, columns in MODALITIES],
        filename=str(csv_path),
        DESCR=DESCR,
    )


def get_data_folder():
    """Return the folder of the data files bundled with :mod:`mmsk.datasets`.

    The folder holds ``clothing_reviews.csv.gz``, ``poster_listings.csv.gz`` (whose
    ``image`` column holds paths relative to the folder) and ``poster_images/``.

    Returns
    -------
    folder : pathlib.Path
        Absolute path of the folder inside the installed package.

    See Also
    --------
    load_poster_listings : Load the poster listings with absolute image paths.

    Examples
    --------
    >>> from mmsk.datasets import get_data_folder
    >>> folder = get_data_folder()
    >>> (folder / "poster_listings.csv.gz").is_file()
    True
    """
    return Path(str(resources.files(DATA_PACKAGE) / DATA_FOLDER)).resolve()
