"""A categorical-heavy, six-class table of short statements, generated offline.

It has the shape of the public fact-checking tables (one short statement per row, a six-step
truthfulness label, the speaker, the speaker's party, job and state, a list of subjects, the
context, and the speaker's five counts of earlier verdicts), so that the speed of the
per-modality families can be measured on high-cardinality categorical fields without a
download. The signal is spread over the speaker, the party, the counts, the subjects and the
words of the statement, so that both modalities matter.
"""

import numpy as np
import pandas as pd

LABELS = ["pants-fire", "false", "barely-true", "half-true", "mostly-true", "true"]


def _zipf_levels(rng, prefix, n_levels, n_rows, exponent=1.1):
    weights = 1.0 / np.arange(1, n_levels + 1) ** exponent
    codes = rng.choice(n_levels, size=n_rows, p=weights / weights.sum())
    return codes, np.array([f"{prefix}_{i}" for i in range(n_levels)], dtype=object)[codes]


def make_statements(n_samples=10000, random_state=0):
    """Return ``(X, y)``: a DataFrame of 11 columns and the six-class label Series.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of rows.
    random_state : int, default=0
        Seed.

    Returns
    -------
    X : pandas.DataFrame
        ``statement`` (text), ``speaker`` (about 3,000 levels), ``job`` (about 800),
        ``state`` (50), ``party`` (20), ``subjects`` (comma-joined lists over 140 subjects),
        ``context`` (about 4,000 levels) and five count columns.
    y : pandas.Series
        One of :data:`LABELS` per row.
    """
    rng = np.random.default_rng(random_state)
    speaker, speakers = _zipf_levels(rng, "speaker", 3000, n_samples)
    _, jobs = _zipf_levels(rng, "job", 800, n_samples)
    _, states = _zipf_levels(rng, "state", 50, n_samples, exponent=0.8)
    party, parties = _zipf_levels(rng, "party", 20, n_samples, exponent=1.5)
    _, contexts = _zipf_levels(rng, "context", 4000, n_samples)
    speaker_bias = rng.normal(0, 1.0, 3000)[speaker]
    party_bias = rng.normal(0, 0.6, 20)[party]
    n_subjects = rng.integers(1, 4, n_samples)
    subject_codes = [rng.choice(140, size=k, replace=False) for k in n_subjects]
    subject_bias = rng.normal(0, 0.5, 140)
    subject_effect = np.array([subject_bias[codes].mean() for codes in subject_codes])
    words = np.array([f"w{i}" for i in range(4000)], dtype=object)
    word_effect = rng.normal(0, 1.0, 4000) * (rng.random(4000) < 0.1)
    lengths = rng.integers(8, 28, n_samples)
    zipf = 1.0 / np.arange(1, 4001) ** 1.05
    zipf /= zipf.sum()
    texts, text_effect = [], np.empty(n_samples)
    for i, length in enumerate(lengths):
        codes = rng.choice(4000, size=length, p=zipf)
        texts.append(" ".join(words[codes]))
        text_effect[i] = word_effect[codes].sum() / np.sqrt(length)
    truthfulness = rng.normal(0, 1.0, n_samples) * 0.8
    counts = {}
    for step, name in enumerate(
        ["barely_true_counts", "false_counts", "half_true_counts", "mostly_true_counts"]
    ):
        rate = np.exp(0.5 + 0.4 * (step - 1.5) * speaker_bias)
        counts[name] = rng.poisson(rate * 3).astype(float)
    counts["pants_on_fire_counts"] = rng.poisson(np.exp(-0.5 * speaker_bias) * 2).astype(float)
    latent = speaker_bias + party_bias + subject_effect + text_effect + truthfulness
    cuts = np.quantile(latent, np.linspace(0, 1, 7)[1:-1])
    y = pd.Series(np.asarray(LABELS, dtype=object)[np.searchsorted(cuts, latent)], name="label")
    X = pd.DataFrame(
        {
            "statement": texts,
            "speaker": speakers,
            "job": jobs,
            "state": states,
            "party": parties,
            "subjects": [
                ",".join(f"subject_{c}" for c in sorted(codes)) for codes in subject_codes
            ],
            "context": contexts,
            **counts,
        }
    )
    return X, y
