"""
Predicting rows with a missing modality
=======================================

A modality is missing in a row when every one of its cells is empty: a review left
without a title or text, a listing without a photo. Every mmsk fusion estimator still
predicts such a row, each by its own rule:

- early fusion imputes the block and adds a presence indicator per modality;
- late fusion leaves the missing modality's model out and renormalises the other weights;
- Bayesian-network and Markov-random-field fusion give the missing node no evidence and
  sum it out of the exact posterior.

Here the models are trained on complete rows; at prediction time the text of a growing
share of the held-out rows is blanked out.
"""

# %%
# Train on 1,000 rows of the clothing reviews
# -------------------------------------------
import numpy as np
from sklearn.model_selection import train_test_split

from mmsk import (
    BayesianNetworkFusionClassifier,
    EarlyFusionClassifier,
    LateFusionClassifier,
    MarkovRandomFieldFusionClassifier,
)
from mmsk.datasets import load_clothing_reviews

X, y = load_clothing_reviews(return_X_y=True)
X, _, y, _ = train_test_split(X, y, train_size=1500, stratify=y, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=500, stratify=y, random_state=0
)

models = {
    "early": EarlyFusionClassifier(),
    "late (weighted)": LateFusionClassifier(cv=3, random_state=0),
    "Bayesian network": BayesianNetworkFusionClassifier(cv=3, random_state=0),
    "Markov random field": MarkovRandomFieldFusionClassifier(cv=3, random_state=0),
}
for model in models.values():
    model.fit(X_train, y_train)

# %%
# One row without its text
# ------------------------
# The same review, predicted with and without its title and text:
text_columns = ["Title", "Review Text"]
row = X_test.iloc[[0]]
without_text = row.assign(**{column: None for column in text_columns})
for name, model in models.items():
    complete, missing = model.predict_proba(row)[0, 1], model.predict_proba(without_text)[0, 1]
    print(f"{name:20s} P(recommended) = {complete:.3f} with the text, {missing:.3f} without")

# %%
# Without text, each model has only the tabular fields to go on (age, feedback count,
# division, department, class), and each combines what is left by its own rule. For
# reference, the share of recommending reviewers in the training rows:
round(float(np.mean(y_train)), 3)

# %%
# Accuracy as the text goes missing
# ---------------------------------
# For each share of held-out rows, those rows lose both text columns; the ROC AUC is
# measured on all 500 rows.
import pandas as pd
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(0)
order = rng.permutation(len(X_test))
shares = np.linspace(0, 1, 6)
curves = {name: [] for name in models}
for share in shares:
    blanked = X_test.copy()
    rows = order[: int(round(share * len(X_test)))]
    blanked.iloc[rows, [X_test.columns.get_loc(c) for c in text_columns]] = None
    for name, model in models.items():
        curves[name].append(roc_auc_score(y_test, model.predict_proba(blanked)[:, 1]))

pd.DataFrame(curves, index=pd.Index(shares.round(1), name="share without text")).round(3)

# %%
# No model fails on the blanked rows. Every curve falls smoothly towards 0.5, the ROC AUC
# of a guess: on this table the tabular fields alone tell almost nothing about whether a
# reviewer recommends the garment, and the text carries the signal.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, scores in curves.items():
    ax.plot(shares * 100, scores, marker="o", label=name)
ax.set_xlabel("Held-out rows without their title and text (%)")
ax.set_ylabel("ROC AUC on 500 held-out rows")
ax.set_title("Missing text at prediction time")
ax.legend()
fig.tight_layout()
plt.show()
