"""
Early, late, neural and Bayesian-network fusion
===============================================

The bundled clothing reviews hold, in each row, numbers (age, feedback count), categories
(department, class) and two free-text columns (a title and a review). The target says
whether the reviewer recommends the garment. This example fits one estimator of each
fusion family on the same rows and compares their held-out ROC AUC and fit time.

- **Early fusion** transforms each modality, concatenates the blocks and fits one model.
- **Late fusion** fits one model per modality and combines their out-of-fold predictions.
- **Neural fusion** trains one network with an encoder per modality (``neural`` extra).
- **Bayesian-network fusion** makes each modality's prediction a node of a small Bayesian
  network with the target, and predicts the exact posterior (``bayes`` extra).
"""

# %%
# A small sample of the data
# --------------------------
# 1,500 of the 4,000 bundled rows keep the example fast; 30% of them are held out.
from sklearn.model_selection import train_test_split

from mmsk.datasets import load_clothing_reviews

X, y = load_clothing_reviews(return_X_y=True)
X, _, y, _ = train_test_split(X, y, train_size=1500, stratify=y, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train.head(3)

# %%
# One estimator per family
# ------------------------
# Each one detects the modalities itself (``modalities="auto"``): a tabular modality and a
# text modality holding both text columns. The settings are small so that the example
# runs in seconds: three folds for the out-of-fold predictions of late and Bayesian
# fusion, twenty short epochs for the network.
from mmsk import (
    BayesianNetworkFusionClassifier,
    EarlyFusionClassifier,
    LateFusionClassifier,
    NeuralFusionClassifier,
)

models = {
    "early": EarlyFusionClassifier(),
    "late (weighted)": LateFusionClassifier(fusion="weighted", cv=3, random_state=0),
    "late (stacking)": LateFusionClassifier(fusion="stacking", cv=3, random_state=0),
    "neural (concat)": NeuralFusionClassifier(
        fusion="concat", max_epochs=20, batch_size=128, device="cpu", random_state=0
    ),
    "Bayesian network (TAN)": BayesianNetworkFusionClassifier(
        structure="tan", cv=3, random_state=0
    ),
}

# %%
# Fit, time and score
# -------------------
from time import perf_counter

from sklearn.metrics import roc_auc_score

scores, fit_seconds = {}, {}
for name, model in models.items():
    start = perf_counter()
    model.fit(X_train, y_train)
    fit_seconds[name] = perf_counter() - start
    scores[name] = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    print(f"{name:24s} ROC AUC {scores[name]:.3f}   fit {fit_seconds[name]:5.1f} s")

models["early"].modality_columns_

# %%
# Late fusion learned how much to trust each modality from out-of-fold predictions:
models["late (weighted)"].weights_

# %%
# The comparison
# --------------
# On this small sample the families are close; the text carries most of the signal, and
# every family uses it. The fit times differ more: early fusion fits one linear model,
# late and Bayesian fusion cross-validate one model per modality, the network trains
# for twenty epochs.
import matplotlib.pyplot as plt

names = list(models)
fig, (ax_score, ax_time) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
ax_score.barh(names, [scores[name] for name in names], color="tab:blue")
ax_score.set_xlim(0.5, 1.0)
ax_score.set_xlabel("Held-out ROC AUC")
for position, name in enumerate(names):
    ax_score.text(scores[name] + 0.005, position, f"{scores[name]:.3f}", va="center")
ax_time.barh(names, [fit_seconds[name] for name in names], color="tab:gray")
ax_time.set_xlabel("Fit time (s)")
ax_score.invert_yaxis()
fig.suptitle("Fusion families on 1,050 training rows of the clothing reviews")
fig.tight_layout()
plt.show()
