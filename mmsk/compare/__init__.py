"""The main job: compare fusion methods and representations on a table, keep the best.

:func:`compare_models` cross-validates every candidate of a search space on the same
folds, adds a greedy ensemble of them and refits the best; ``mmsk compare`` runs it
from the command line.
"""

from ._compare import Comparison, EveryCandidateFailed, compare_models, infer_task, rank
from ._display import LeaderboardDisplay
from ._space import PRESETS, boosted_recipe, search_space

__all__ = [
    "PRESETS",
    "Comparison",
    "EveryCandidateFailed",
    "LeaderboardDisplay",
    "boosted_recipe",
    "compare_models",
    "infer_task",
    "rank",
    "search_space",
]
