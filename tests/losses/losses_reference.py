"""Direct float64 numpy implementations of the losses, written from the papers' formulas."""

import numpy as np
import torch


def log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def bce(x, t):
    return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))


def reduce(loss, reduction, normaliser=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if normaliser is None else loss.sum() / normaliser.sum()


def element_weights(weight, target, multiclass):
    if weight is None:
        return None
    weight = np.asarray(weight, dtype=np.float64)
    if multiclass:
        return weight[target]
    if target.ndim == 1:
        return np.where(target == 1, weight[1], weight[0])
    return np.broadcast_to(weight, target.shape)


def cross_entropy(z, y, weight=None, reduction="mean"):
    """torch.nn.CrossEntropyLoss / BCEWithLogits with a weighted mean."""
    multiclass = y.ndim == 1 and z.ndim == 2
    loss = -log_softmax(z)[np.arange(len(y)), y] if multiclass else bce(z, y)
    w = element_weights(weight, y, multiclass)
    return reduce(loss if w is None else loss * w, reduction, w)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, line by line."""
    p = sigmoid(inputs)
    ce_loss = bce(inputs, targets)
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return reduce(loss, reduction)


def softmax_focal(z, y, gamma, alpha=None, weight=None, reduction="mean"):
    p = np.exp(log_softmax(z))[np.arange(len(y)), y]
    loss = -((1 - p) ** gamma) * np.log(p)
    for factor in (alpha, weight):
        if factor is not None:
            loss = loss * np.asarray(factor)[y]
    return reduce(loss, reduction)


def class_balanced(z, y, counts, beta, base, gamma, reduction="mean"):
    counts = np.asarray(counts, dtype=np.float64)
    weights = (1 - beta) / (1 - beta**counts)
    weights = weights / weights.sum() * len(counts)
    if z.ndim == 1:
        per = sigmoid_focal_loss(z, y, alpha=-1, gamma=gamma) if base == "focal" else bce(z, y)
        return reduce(per * np.where(y == 1, weights[1], weights[0]), reduction)
    one_hot = np.eye(z.shape[1])[y]
    if base == "softmax":
        per = -log_softmax(z)[np.arange(len(y)), y]
    elif base == "sigmoid":
        per = bce(z, one_hot).sum(axis=1)
    else:
        per = sigmoid_focal_loss(z, one_hot, alpha=-1, gamma=gamma).sum(axis=1)
    return reduce(per * weights[y], reduction)


def logit_adjusted(z, y, counts, tau, weight=None, reduction="mean"):
    prior = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    if z.ndim == 1:
        return cross_entropy(z + tau * np.log(prior[1] / prior[0]), y, weight, reduction)
    return cross_entropy(z + tau * np.log(prior), y, weight, reduction)


def ldam(z, y, counts, max_margin, s, weight=None, reduction="mean"):
    margins = 1.0 / np.asarray(counts, dtype=np.float64) ** 0.25
    margins = margins * max_margin / margins.max()
    shifted = z.copy()
    shifted[np.arange(len(y)), y] -= margins[y]
    return cross_entropy(s * shifted, y, weight, reduction)


def sampled_softmax(z, y, item_ids, log_q=None, temperature=1.0, mask=True, reduction="mean"):
    losses = []
    for i in range(z.shape[0]):
        row = z[i] / temperature - (0 if log_q is None else log_q)
        keep = [j for j in range(z.shape[1]) if not (mask and j != y[i] and item_ids[j] == item_ids[y[i]])]
        kept = row[keep]
        top = kept.max()
        losses.append(top + np.log(np.exp(kept - top).sum()) - row[y[i]])
    return reduce(np.array(losses), reduction)


def ips(x, t, propensity, clip, weight=None, reduction="mean"):
    loss = bce(x, t) / np.maximum(propensity, clip)
    w = element_weights(weight, t, multiclass=False)
    return reduce(loss if w is None else loss * w, reduction)


def multiclass_inputs(rng, n, c, scale=3.0):
    return rng.normal(0, scale, (n, c)), rng.integers(0, c, n)


def binary_inputs(rng, n, scale=3.0):
    return rng.normal(0, scale, n), rng.integers(0, 2, n).astype(np.float64)


def multilabel_inputs(rng, n, c, scale=3.0):
    return rng.normal(0, scale, (n, c)), rng.integers(0, 2, (n, c)).astype(np.float64)


def run(loss, *arrays):
    """Call a torch loss on numpy arrays; returns the result as float64 numpy."""
    tensors = [torch.from_numpy(np.asarray(a)) for a in arrays]
    return loss(*tensors).detach().numpy()


def assert_matches(loss, expected, *arrays):
    np.testing.assert_allclose(run(loss, *arrays), expected, rtol=1e-9, atol=1e-12)
