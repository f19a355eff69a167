"""The strategies that ship with longtail."""

from __future__ import annotations

from longtail.strategies.strategy import Piece, Strategy

BUILTIN = (
    Strategy("baseline", "no remedy: plain cross-entropy, or in-batch softmax without correction"),
    Strategy("weighted-ce", "cross-entropy with balanced class weights N/(C n_c)", loss=Piece("weighted-ce")),
    Strategy("focal", "focal loss, gamma=2: down-weights easy examples", loss=Piece("focal")),
    Strategy("cb-focal", "class-balanced focal loss (effective number, beta=0.999)", loss=Piece("class-balanced")),
    Strategy("logit-adjust", "logit-adjusted cross-entropy, tau=1 (Menon et al.)", loss=Piece("logit-adjusted")),
    Strategy("balanced-softmax", "balanced softmax: cross-entropy of logits + log n_c", loss=Piece("balanced-softmax")),
    Strategy(
        "ldam-drw",
        "LDAM margins with re-weighting from 80% of the epochs (Cao et al.)",
        loss=Piece("ldam", {"drw_start_fraction": 0.8}),
    ),
    Strategy("random-over", "random oversampling of minority classes", sampler=Piece("random-over")),
    Strategy("random-under", "random undersampling of majority classes", sampler=Piece("random-under")),
    Strategy("smote", "SMOTE: new minority rows between neighbours", sampler=Piece("smote")),
    Strategy("augment-tail", "feature-noise copies of rare-label rows up to half the largest", augment=Piece("tail-noise")),
    Strategy("logq", "in-batch softmax with logQ popularity correction (Yi et al.)", loss=Piece("sampled-softmax")),
    Strategy(
        "ips",
        "inverse-propensity-scored loss, propensities clipped at 0.05 (CTR; two-tower, BPR)",
        loss=Piece("ips"),
    ),
    Strategy(
        "head-undersample",
        "cap each item's training pairs at the 90th percentile of per-item counts",
        sampler=Piece("popularity-under"),
    ),
    Strategy(
        "tail-oversample",
        "repeat pairs of items below the 80th percentile of per-item counts up to it",
        sampler=Piece("tail-over"),
    ),
    Strategy("threshold", "per-class decision thresholds tuned for F1 on validation", adjust=Piece("threshold")),
    Strategy("posthoc-logit-adjust", "subtract log prior from trained logits (post-hoc)", adjust=Piece("logit-adjuster")),
    Strategy("rerank", "exposure-aware re-ranking (xQuAD): each list towards its user's head/tail mix", adjust=Piece("exposure-rerank")),
    Strategy(
        "cb-focal+threshold",
        "class-balanced focal loss, then thresholds tuned on validation",
        loss=Piece("class-balanced"),
        adjust=Piece("threshold"),
    ),
    Strategy(
        "random-under+threshold",
        "undersampling, then thresholds tuned on validation to undo its prior shift",
        sampler=Piece("random-under"),
        adjust=Piece("threshold"),
    ),
    Strategy(
        "logq+tail-oversample",
        "tail pairs repeated up to the median per-item count, then logQ-corrected softmax",
        sampler=Piece("tail-over", {"quantile": 0.5}),
        loss=Piece("sampled-softmax"),
    ),
    Strategy(
        "logq+rerank",
        "logQ-corrected in-batch softmax, then exposure-aware re-ranking",
        loss=Piece("sampled-softmax"),
        adjust=Piece("exposure-rerank"),
    ),
)
