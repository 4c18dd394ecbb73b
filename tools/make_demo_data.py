"""Build the clothing reviews subset bundled with :mod:`mmsk.datasets`.

The script draws a stratified random subset of the Women's E-Commerce Clothing Reviews
table, drops the ``Rating`` column (it leaks the target) and writes the result as a
gzip-compressed CSV file. The output is byte-for-byte reproducible: the subset comes
from a fixed seed, the rows keep their original order, and the gzip header carries no
timestamp.

Run it from the repository root::

    python3 tools/make_demo_data.py

"""

import argparse
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "womens_clothing_reviews.csv.gz"
DEFAULT_DESTINATION = REPO_ROOT / "mmsk" / "datasets" / "data" / "clothing_reviews.csv.gz"
TARGET = "Recommended IND"
LEAKING_COLUMNS = ["Rating"]
N_ROWS = 4000
MIN_ROWS = 3000
SEED = 0
MAX_BYTES = 1_500_000


def draw_stratified_subset(frame, n_rows, seed):
    """Draw ``n_rows`` rows stratified on the target, kept in their original order.

    Parameters
    ----------
    frame : pandas.DataFrame
        The full table, with the target column.
    n_rows : int
        Number of rows to keep.
    seed : int
        Seed of the random draw.

    Returns
    -------
    subset : pandas.DataFrame
        The drawn rows with a fresh ``RangeIndex``.
    """
    subset, _ = train_test_split(
        frame, train_size=n_rows, stratify=frame[TARGET], random_state=seed
    )
    return subset.sort_index().reset_index(drop=True)


def write_gzip_csv(frame, destination):
    """Write a table as a gzip CSV file whose bytes depend only on its content.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write, without its index.
    destination : pathlib.Path
        The file to create or overwrite.

    Returns
    -------
    n_bytes : int
        Size of the written file.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(
        destination,
        index=False,
        compression={"method": "gzip", "compresslevel": 9, "mtime": 0},
    )
    return destination.stat().st_size


def check_round_trip(frame, destination):
    """Raise if reading the written file back does not give the same table.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table that was written.
    destination : pathlib.Path
        The written file.
    """
    pd.testing.assert_frame_equal(pd.read_csv(destination), frame)


def build_demo_data(source, destination, n_rows=N_ROWS, seed=SEED):
    """Build the bundled subset, shrinking it if the file would be too large.

    Parameters
    ----------
    source : pathlib.Path
        The full public table as a (possibly compressed) CSV file.
    destination : pathlib.Path
        Where the subset is written.
    n_rows : int, default=4000
        Number of rows wanted; reduced by steps of 250 while the file exceeds
        1.5 MB, never below 3,000.
    seed : int, default=0
        Seed of the stratified draw.

    Returns
    -------
    subset : pandas.DataFrame
        The written table.
    """
    full = pd.read_csv(source).drop(columns=LEAKING_COLUMNS)
    while True:
        subset = draw_stratified_subset(full, n_rows, seed)
        n_bytes = write_gzip_csv(subset, destination)
        if n_bytes <= MAX_BYTES:
            break
        if n_rows - 250 < MIN_ROWS:
            raise RuntimeError(
                f"{MIN_ROWS} rows still take {n_bytes} bytes, more than {MAX_BYTES}."
            )
        n_rows -= 250
    check_round_trip(subset, destination)
    print(f"wrote {destination}: {len(subset)} rows, {n_bytes} bytes")
    return subset


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--destination", type=Path, default=DEFAULT_DESTINATION)
    parser.add_argument("--n-rows", type=int, default=N_ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_arguments()
    build_demo_data(arguments.source, arguments.destination, arguments.n_rows, arguments.seed)
