"""Build the poster listings demo (image, text and table) bundled with :mod:`mmsk.datasets`.

Each row is a poster offered by an online print shop: a thumbnail cut from one of eight
real photographs that scikit-image and scikit-learn ship with their packages, a short
description, a price, a seller rating and a paper size. The target ``sold`` says whether
the poster sold within a month. It follows three hidden effects of equal weight, one per
modality, so that each modality alone predicts part of it and all three together predict
it best:

- image: the photograph's theme (cat posters sell best, coin posters worst), which only
  the picture shows;
- text: how many of the description's three condition phrases are favourable
  ("signed by the artist") rather than not ("slightly faded");
- table: a low price and a high seller rating help.

The output is byte-for-byte reproducible: every random number comes from one seeded
generator, the PNG files carry no timestamp and the gzip header of the CSV file none.

Run it from the repository root::

    python3 tools/make_image_demo.py

"""

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import skimage.data
from PIL import Image
from sklearn.datasets import load_sample_image

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DESTINATION = REPO_ROOT / "mmsk" / "datasets" / "data"
CSV_NAME = "poster_listings.csv.gz"
IMAGE_FOLDER = "poster_images"
N_PER_THEME = 50
IMAGE_SIZE = 48
SEED = 0
MAX_BYTES = 3_000_000
NOISE = 0.6

# The theme of each photograph and how much it helps a poster sell.
THEMES = {
    "cat": 1.2,
    "galaxy": 0.8,
    "astronaut": 0.4,
    "flower": 0.1,
    "coffee": -0.1,
    "temple": -0.4,
    "rocket": -0.8,
    "coins": -1.2,
}

GOOD_PHRASES = [
    "signed by the artist",
    "limited edition",
    "museum quality paper",
    "vivid colours",
    "framed in oak",
    "gallery print",
    "mint condition",
    "heavy matte paper",
]
BAD_PHRASES = [
    "small crease in one corner",
    "slightly faded",
    "some sun damage",
    "thin paper",
    "minor scratches",
    "edges a little worn",
    "pin holes at the top",
    "colours a bit dull",
]
NEUTRAL_PHRASES = [
    "ships rolled in a tube",
    "poster print",
    "ready to hang",
    "art print",
    "wall decor",
    "fits a standard frame",
]
SIZES = ["A4", "A3", "A2", "A1"]


def load_photographs():
    """Return the eight source photographs as RGB uint8 arrays, keyed by theme.

    Returns
    -------
    photographs : dict of str to ndarray of shape (height, width, 3)
        One photograph per theme of ``THEMES``, all shipped inside the packages.
    """
    coins = skimage.data.coins()
    return {
        "cat": skimage.data.chelsea(),
        "galaxy": skimage.data.hubble_deep_field(),
        "astronaut": skimage.data.astronaut(),
        "flower": load_sample_image("flower.jpg"),
        "coffee": skimage.data.coffee(),
        "temple": load_sample_image("china.jpg"),
        "rocket": skimage.data.rocket(),
        "coins": np.repeat(coins[:, :, np.newaxis], 3, axis=2),
    }


def cut_thumbnail(photograph, rng):
    """Cut a random square of a photograph, maybe mirror it, and shrink it.

    Parameters
    ----------
    photograph : ndarray of shape (height, width, 3)
        The source photograph.
    rng : numpy.random.RandomState
        The random number generator.

    Returns
    -------
    thumbnail : PIL.Image.Image
        An RGB image of ``IMAGE_SIZE`` by ``IMAGE_SIZE`` pixels.
    """
    height, width = photograph.shape[:2]
    side = int(rng.uniform(0.3, 0.65) * min(height, width))
    top = rng.randint(height - side + 1)
    left = rng.randint(width - side + 1)
    crop = Image.fromarray(photograph[top : top + side, left : left + side])
    if rng.random_sample() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return crop.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS)


def describe(n_good, rng):
    """Write a description with ``n_good`` favourable of three condition phrases.

    Parameters
    ----------
    n_good : int
        Number of favourable phrases, from 0 to 3.
    rng : numpy.random.RandomState
        The random number generator.

    Returns
    -------
    description : str
        One neutral phrase and three condition phrases in random order.
    """
    good = rng.choice(GOOD_PHRASES, size=n_good, replace=False).tolist()
    bad = rng.choice(BAD_PHRASES, size=3 - n_good, replace=False).tolist()
    phrases = good + bad
    rng.shuffle(phrases)
    neutral = NEUTRAL_PHRASES[rng.randint(len(NEUTRAL_PHRASES))]
    return f"{neutral.capitalize()}, {', '.join(phrases)}."


def standardise(values):
    values = np.asarray(values, dtype=float)
    return (values - values.mean()) / values.std()


def build_rows(rng):
    """Draw the listings and their thumbnails.

    Parameters
    ----------
    rng : numpy.random.RandomState
        The random number generator.

    Returns
    -------
    frame : pandas.DataFrame
        The listings, in random order, with an ``image`` column of relative paths.
    thumbnails : list of PIL.Image.Image
        The thumbnail of each row, in the same order.
    """
    photographs = load_photographs()
    themes = np.repeat(list(THEMES), N_PER_THEME)
    themes = themes[rng.permutation(len(themes))]
    n_rows = len(themes)
    thumbnails = [cut_thumbnail(photographs[theme], rng) for theme in themes]

    n_good = rng.binomial(3, 0.5, size=n_rows)
    descriptions = [describe(count, rng) for count in n_good]

    log_price = rng.normal(np.log(25.0), 0.35, size=n_rows)
    price = np.round(np.exp(log_price)) - 0.01
    rating = np.round(rng.uniform(3.0, 5.0, size=n_rows), 1)
    size = rng.choice(SIZES, size=n_rows)

    image_effect = standardise([THEMES[theme] for theme in themes])
    text_effect = standardise(n_good)
    table_effect = standardise(standardise(rating) - standardise(np.log(price)))
    latent = image_effect + text_effect + table_effect + NOISE * rng.standard_normal(n_rows)
    sold = (latent > np.median(latent)).astype(int)

    frame = pd.DataFrame(
        {
            "image": [f"{IMAGE_FOLDER}/poster_{i:03d}.png" for i in range(n_rows)],
            "description": descriptions,
            "price": price,
            "seller_rating": rating,
            "size": size,
            "sold": sold,
        }
    )
    return frame, thumbnails


def write_demo(frame, thumbnails, destination):
    """Write the thumbnails as PNG files and the table as a gzip CSV file.

    Parameters
    ----------
    frame : pandas.DataFrame
        The listings, whose ``image`` column holds paths relative to ``destination``.
    thumbnails : list of PIL.Image.Image
        The thumbnail of each row.
    destination : pathlib.Path
        The folder that receives the CSV file and the image folder.

    Returns
    -------
    n_bytes : int
        Size of all written files together.
    """
    image_folder = destination / IMAGE_FOLDER
    if image_folder.exists():
        shutil.rmtree(image_folder)
    image_folder.mkdir(parents=True)
    for relative, thumbnail in zip(frame["image"], thumbnails):
        thumbnail.save(destination / relative, format="PNG", optimize=True)
    csv_path = destination / CSV_NAME
    frame.to_csv(
        csv_path, index=False, compression={"method": "gzip", "compresslevel": 9, "mtime": 0}
    )
    files = [csv_path, *image_folder.iterdir()]
    return sum(path.stat().st_size for path in files)


def build_image_demo(destination=DEFAULT_DESTINATION, seed=SEED):
    """Build the poster listings demo and check its size and its round trip.

    Parameters
    ----------
    destination : pathlib.Path, default=mmsk/datasets/data
        The folder that receives ``poster_listings.csv.gz`` and ``poster_images/``.
    seed : int, default=0
        Seed of the random number generator.

    Returns
    -------
    frame : pandas.DataFrame
        The written table.
    """
    rng = np.random.RandomState(seed)
    frame, thumbnails = build_rows(rng)
    n_bytes = write_demo(frame, thumbnails, destination)
    if n_bytes > MAX_BYTES:
        raise RuntimeError(f"The demo takes {n_bytes} bytes, more than {MAX_BYTES}.")
    pd.testing.assert_frame_equal(pd.read_csv(destination / CSV_NAME), frame)
    print(f"wrote {destination / CSV_NAME} and {len(frame)} images: {n_bytes} bytes in all")
    return frame


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--destination", type=Path, default=DEFAULT_DESTINATION)
    parser.add_argument("--seed", type=int, default=SEED)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_arguments()
    build_image_demo(arguments.destination, arguments.seed)
