"""
The main job: compare fusion methods and keep the best
======================================================

:func:`mmsk.compare.compare_models` answers one question for a table: which way of
combining its modalities predicts the target best? It cross-validates a search space of
candidates on the same folds, adds a greedy ensemble of them built from their
out-of-fold predictions, ranks everything in a leaderboard and refits the winner on every
row. ``mmsk compare`` runs the same function from the command line.

The ``"fast"`` preset compares three candidates: early fusion, and late fusion with
learned weights and with stacking, all on word TF-IDF.
"""

# %%
# Compare on 1,000 rows of the clothing reviews
# ---------------------------------------------
from sklearn.model_selection import train_test_split

from mmsk.compare import compare_models
from mmsk.datasets import load_clothing_reviews

X, y = load_clothing_reviews(return_X_y=True)
X, _, y, _ = train_test_split(X, y, train_size=1000, stratify=y, random_state=0)

comparison = compare_models(X, y, preset="fast", cv=3)
comparison

# %%
# The leaderboard is a DataFrame, best first: the mean and spread of the score over the
# folds, the mean fit and predict seconds per fold, and the ensemble's members.
comparison.leaderboard

# %%
# The best model is refitted on every row and predicts like any estimator:
comparison.best_name, comparison.best_model.predict_proba(X.head(3)).round(3)

# %%
# The leaderboard as a chart
# --------------------------
import matplotlib.pyplot as plt

from mmsk.compare import LeaderboardDisplay

display = LeaderboardDisplay.from_results(comparison, title="compare_models(preset='fast')")
plt.show()
