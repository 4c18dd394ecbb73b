"""
Let a grid search choose how to fuse
====================================

How the modalities are combined is an ordinary parameter (``fusion`` of
:class:`~mmsk.LateFusionClassifier`), so :class:`~sklearn.model_selection.GridSearchCV`
can choose it like any hyper-parameter. Every candidate of this search fits the same
per-modality models on the same folds and differs only in the combining step; with a
``memory`` cache the per-modality fits and their out-of-fold predictions are computed
once per fold and reused by the other candidates.
"""

# %%
# The data: 1,200 rows of the bundled clothing reviews
# ----------------------------------------------------
from sklearn.model_selection import train_test_split

from mmsk.datasets import load_clothing_reviews

X, y = load_clothing_reviews(return_X_y=True)
X, _, y, _ = train_test_split(X, y, train_size=1200, stratify=y, random_state=0)

# %%
# The search
# ----------
# Five combining rules, three folds. The cache lives in a temporary folder.
from tempfile import TemporaryDirectory

import pandas as pd
from sklearn.model_selection import GridSearchCV

from mmsk import LateFusionClassifier

fusions = ["mean", "weighted", "vote", "product", "stacking"]
with TemporaryDirectory() as cache:
    search = GridSearchCV(
        LateFusionClassifier(memory=cache, cv=3, random_state=0),
        {"fusion": fusions},
        scoring="roc_auc",
        cv=3,
    )
    search.fit(X, y)

results = pd.DataFrame(search.cv_results_).set_index("param_fusion")
results[["mean_test_score", "std_test_score", "mean_fit_time", "rank_test_score"]]

# %%
search.best_params_, round(search.best_score_, 3)

# %%
# Scores and fit times
# --------------------
# In each fold, ``"mean"`` pays for the per-modality fits and ``"weighted"`` for their
# out-of-fold predictions (it learns the weights from them); the later candidates find
# both in the cache and fit only their combining step. The plain mean lets the weak
# tabular model pull the text model's good ranking down; ``"vote"`` combines hard class
# votes, which rank rows coarsely and score lowest in ROC AUC.
import matplotlib.pyplot as plt

fig, (ax_score, ax_time) = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
ax_score.barh(
    fusions,
    results.loc[fusions, "mean_test_score"],
    xerr=results.loc[fusions, "std_test_score"],
    color=["tab:orange" if f == search.best_params_["fusion"] else "tab:blue" for f in fusions],
)
ax_score.set_xlim(0.5, 1.0)
ax_score.set_xlabel("Cross-validated ROC AUC (best in orange)")
ax_time.barh(fusions, results.loc[fusions, "mean_fit_time"], color="tab:gray")
ax_time.set_xlabel("Mean fit time per fold (s), with the cache")
ax_score.invert_yaxis()
fig.suptitle("GridSearchCV over LateFusionClassifier(fusion=...)")
fig.tight_layout()
plt.show()

# %%
# The refitted best model is an ordinary estimator:
search.best_estimator_.predict_proba(X.head(3)).round(3)
