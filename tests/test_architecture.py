"""The shape of the package: one shared per-modality path, families that do not borrow
from each other, and one registry that every list of estimators is read from."""

import ast
from pathlib import Path

import pytest

import mmsk
from mmsk._registry import FAMILIES

PACKAGE = Path(mmsk.__file__).parent
FUSION = PACKAGE / "fusion"
FAMILY_MODULES = {
    family.name: {family.classifier.__module__.rsplit(".", 1)[-1]} for family in FAMILIES
}
# Modules that belong to one family only: its estimators and their private helpers.
FAMILY_MODULES["bayes"].add("_bayes_network")
FAMILY_MODULES["neural"].update({"_nn", "_nn_training", "_neural_multitask"})


def _imported_modules(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.rsplit(".", 1)[-1])
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name.rsplit(".", 1)[-1] for alias in node.names)
    return names


@pytest.mark.parametrize("family", sorted(FAMILY_MODULES))
def test_no_fusion_family_imports_another_family(family):
    others = set().union(*(mods for name, mods in FAMILY_MODULES.items() if name != family))
    for module in sorted(FAMILY_MODULES[family]):
        borrowed = _imported_modules(FUSION / f"{module}.py") & others
        assert not borrowed, f"{module}.py imports {sorted(borrowed)} of another family"


def test_every_family_in_the_registry_is_exported():
    for family in FAMILIES:
        for estimator in family.estimators:
            assert getattr(mmsk, estimator.__name__) is estimator
            assert getattr(mmsk.fusion, estimator.__name__) is estimator


def test_registry_candidates_are_named_after_their_family():
    for family in FAMILIES:
        for task in ("binary", "regression"):
            names = list(family.candidates(task))
            assert names and all(name.startswith(family.name) for name in names)
            assert set(family.default_candidate_names(task)) <= set(names)
