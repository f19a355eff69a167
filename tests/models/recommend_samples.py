"""Small interaction logs with a known answer, shared by the recommender tests."""

import numpy as np

N_BLOCKS = 2


def planted_blocks(n_users=60, n_items=30, per_user=6, seed=0):
    """Users of block b interact only with items of block b, popular ones more often.

    Returns (users, items, n_users, n_items, user_block, item_block). Item 0 of
    each block is its most popular item.
    """
    rng = np.random.default_rng(seed)
    user_block = np.arange(n_users) % N_BLOCKS
    item_block = np.arange(n_items) % N_BLOCKS
    users, items = [], []
    for user in range(n_users):
        block_items = np.flatnonzero(item_block == user_block[user])
        weights = 1.0 / np.arange(1, block_items.size + 1)
        chosen = rng.choice(block_items, size=per_user, replace=False, p=weights / weights.sum())
        users += [user] * per_user
        items += chosen.tolist()
    return np.array(users), np.array(items), n_users, n_items, user_block, item_block


def in_block_share(ranked, users, user_block, item_block):
    """Share of the recommended slots holding an item of the user's own block."""
    filled = ranked >= 0
    return float((item_block[ranked[filled]] == np.broadcast_to(user_block[users][:, None], ranked.shape)[filled]).mean())


def history_lists(users, items, n_users):
    """Each user's training items, one array per user."""
    return [items[users == u] for u in range(n_users)]
