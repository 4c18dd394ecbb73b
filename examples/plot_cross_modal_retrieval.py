"""
Cross-modal retrieval: which review goes with this title?
=========================================================

:class:`~mmsk.CrossModalRetriever` learns one shared space for two modalities of a table,
here the title and the review text of the clothing reviews, from the rows where both are
set. In that space a title can be compared with every review: ``kneighbors`` finds the
reviews closest to a query, and the metrics of :mod:`mmsk.metrics` measure how often a
held-out title finds its own review among the first ``k``.
"""

# %%
# Fit on the paired rows
# ----------------------
# Each column becomes a text modality of its own (TF-IDF), and regularised canonical
# correlation analysis (``method="cca"``) maps both into 64 shared dimensions.
from sklearn.model_selection import train_test_split

from mmsk import CrossModalRetriever
from mmsk.datasets import load_clothing_reviews

X, _ = load_clothing_reviews(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=600, random_state=0)

retriever = CrossModalRetriever(
    query="Title", target="Review Text", n_components=64, regularization=10.0
).fit(X_train)
retriever.n_paired_

# %%
# Search the reviews with a title of your own
# -------------------------------------------
import pandas as pd

queries = pd.DataFrame({"Title": ["summer dress", "runs small"]})
distances, rows = retriever.kneighbors(queries, n_neighbors=3)
for query, found in zip(queries["Title"], rows):
    print(f"{query!r}:")
    for review in X_train["Review Text"].iloc[found]:
        print(f"    {review[:100]}...")

# %%
# Recall@k on held-out pairs
# --------------------------
# ``paired_similarities`` scores every held-out title against every held-out review (the
# true pairs on the diagonal); :func:`~mmsk.metrics.recall_at_k` is the share of titles
# whose own review is among their ``k`` most similar. PLS, the other closed-form method,
# is fitted for comparison.
import numpy as np

from mmsk.metrics import mean_reciprocal_rank, recall_at_k

pls = CrossModalRetriever(query="Title", target="Review Text", method="pls", n_components=64)
pls.fit(X_train)

ks = np.array([1, 2, 5, 10, 20, 50])
similarities = {
    "cca": retriever.paired_similarities(X_test),
    "pls": pls.paired_similarities(X_test),
}
n_pairs = similarities["cca"].shape[0]
curves = {name: [recall_at_k(S, k=k) for k in ks] for name, S in similarities.items()}
{name: round(mean_reciprocal_rank(S), 3) for name, S in similarities.items()}

# %%
# Both spaces rank a title's own review far above chance (``k`` out of the held-out
# pairs), though a few thousand pairs are few to learn a space from scratch.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, recalls in curves.items():
    ax.plot(ks, recalls, marker="o", label=f"CrossModalRetriever(method={name!r})")
ax.plot(ks, ks / n_pairs, linestyle=":", color="0.4", label="chance")
ax.set_xscale("log")
ax.set_xticks(ks, [str(k) for k in ks])
ax.set_xlabel("k")
ax.set_ylabel("Recall@k, title to review")
ax.set_title(f"Retrieval among {n_pairs} held-out title-review pairs")
ax.legend()
fig.tight_layout()
plt.show()
