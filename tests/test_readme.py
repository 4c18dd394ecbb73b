"""The README and the API reference stay true to the package.

The README's example is run as it is written; its table of estimators and the API
reference page of the documentation (``docs/api.rst``) must name every public name.
"""

import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest

import mmsk
from mmsk._registry import public_estimators

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
API_PAGE = ROOT / "docs" / "api.rst"

# Public modules whose names the API page need not list, with the reason.
NOT_IN_API_PAGE = {"mmsk.cli": "the command line, documented in docs/cli.md"}


def readme_section(title):
    """The text of the README's ``## title`` section, up to the next ``## `` heading."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def python_blocks(markdown):
    """The code of every fenced ```python block of a Markdown text."""
    return re.findall(r"^```python\n(.*?)^```", markdown, re.M | re.S)


def estimator_table_names():
    """The names in backquotes in the first column of the README's estimator table."""
    first_cells = re.findall(r"^\| ([^|]*) \|", readme_section("Estimators"), re.M)
    return [name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)]


def public_modules():
    """``mmsk`` and each of its modules whose path holds no private part."""
    names = ["mmsk"]
    for module in pkgutil.walk_packages(mmsk.__path__, "mmsk."):
        if not any(part.startswith("_") for part in module.name.split(".")):
            names.append(module.name)
    return names


def public_names(module_name):
    """The names of a module's ``__all__``, dunders such as ``__version__`` left out."""
    module = importlib.import_module(module_name)
    return [name for name in getattr(module, "__all__", []) if not name.startswith("__")]


def api_page_entries():
    """``module.name`` of every entry of the API page's ``autosummary`` tables."""
    entries, module, in_table = [], None, False
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::")[1].strip()
        elif line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and line.startswith("   ") and not line.strip().startswith(":"):
            entries.append(f"{module}.{line.strip()}")
        elif in_table and line and not line.startswith(" "):
            in_table = False
    return entries


def resolve(dotted):
    """The object a ``package.module.name`` path names."""
    module_name, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def test_readme_example_runs(tmp_path, monkeypatch):
    (example,) = python_blocks(readme_section("Example"))
    monkeypatch.chdir(tmp_path)  # the example's memory cache is a relative folder
    namespace = {"__name__": "readme_example"}
    exec(compile(example, str(README), "exec"), namespace)

    model, search, X = namespace["model"], namespace["search"], namespace["X"]
    assert len(X) == 1000
    assert set(model.modality_columns_) == {"tabular", "text"}
    assert model.modality_columns_["text"] == ["Title", "Review Text"]
    assert sum(model.weights_.values()) == pytest.approx(1.0)
    assert model.weights_["text"] > model.weights_["tabular"]

    without_text = X.assign(**{"Review Text": None, "Title": None}).head(20)
    probabilities = model.predict_proba(without_text)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)

    assert search.best_params_["fusion"] in {"mean", "weighted", "stacking"}
    assert search.best_score_ > 0.8  # the review text predicts a recommendation well
    assert (tmp_path / "mmsk-cache").is_dir()
    assert namespace["text_search"].best_params_["text__ngram_range"] in [(1, 1), (1, 2)]


def test_readme_estimators_table_names_every_public_estimator():
    named = {name.rpartition(".")[2] for name in estimator_table_names()}

    estimators = {cls.__name__ for cls, _ in public_estimators()}
    assert estimators <= set(public_names("mmsk"))
    missing = sorted(set(public_names("mmsk")) - named)
    assert not missing, f"the README's estimator table does not name {missing}"


def test_readme_estimators_table_names_only_public_names():
    every_public_name = {name for module in public_modules() for name in public_names(module)}
    for name in estimator_table_names():
        assert name.rpartition(".")[2] in every_public_name, f"{name} is not a public name"


@pytest.mark.parametrize("module_name", public_modules())
def test_api_page_lists_every_public_name(module_name):
    if module_name in NOT_IN_API_PAGE:
        pytest.skip(NOT_IN_API_PAGE[module_name])
    documented = {id(resolve(entry)) for entry in api_page_entries()}
    module = importlib.import_module(module_name)
    missing = [
        name for name in public_names(module_name) if id(getattr(module, name)) not in documented
    ]
    assert not missing, f"docs/api.rst does not list {missing} of {module_name}"


def test_api_page_entries_are_public_names():
    for entry in api_page_entries():
        module_name, _, name = entry.rpartition(".")
        assert name in public_names(module_name), f"{entry} is not in {module_name}.__all__"
