"""EDA: each operation's effect is checked against its formula (Wei & Zou, 2019)."""

from collections import Counter

import numpy as np
import pytest

from longtail.augment import EDA, SynonymTable

WORDS = [f"w{i}" for i in range(20)]
# every content word has exactly one neighbour, so the replacement is known
TABLE = {w: [f"syn{w}"] for w in WORDS}
TEXT = " ".join(WORDS)


def only(**rates):
    base = {"alpha_sr": 0.0, "alpha_ri": 0.0, "alpha_rs": 0.0, "p_rd": 0.0}
    return EDA(TABLE, **{**base, **rates})


def test_synonym_replacement_changes_int_alpha_l_words():
    out = only(alpha_sr=0.2).augment([TEXT] * 50, 0)
    for text in out:
        tokens = text.split()
        replaced = [(a, b) for a, b in zip(WORDS, tokens) if a != b]
        assert len(tokens) == 20 and len(replaced) == int(0.2 * 20)
        assert all(b == f"syn{a}" for a, b in replaced)


def test_random_insertion_adds_neighbours():
    for text in only(alpha_ri=0.1).augment([TEXT] * 50, 1):
        tokens = text.split()
        added = Counter(tokens) - Counter(WORDS)
        assert len(tokens) == 20 + 2 and sum(added.values()) == 2
        assert all(w.startswith("syn") and w[3:] in WORDS for w in added)
        assert [t for t in tokens if not t.startswith("syn")] == WORDS  # the original order is kept


def test_random_swap_is_a_permutation_with_at_most_2n_moves():
    moves = []
    for text in only(alpha_rs=0.1).augment([TEXT] * 50, 2):
        tokens = text.split()
        moves.append(sum(a != b for a, b in zip(WORDS, tokens)))
        assert sorted(tokens) == sorted(WORDS)
    # two swaps of distinct positions move 2 to 4 words (0 when the second undoes the first)
    assert set(moves) <= {0, 2, 3, 4} and np.mean(moves) > 3


def test_random_deletion_rate_matches_p_and_never_empties():
    out = only(p_rd=0.3).augment([TEXT] * 400, 3)
    kept = np.mean([len(t.split()) for t in out]) / 20
    assert abs(kept - 0.7) < 0.03
    assert all(len(t.split()) >= 1 for t in only(p_rd=0.99).augment(["a b"] * 100, 4))


def test_expand_uses_each_operation_once_for_n_aug_4():
    eda = EDA(TABLE, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.5, n_aug=4)
    texts, source = eda.expand([TEXT, TEXT], 5)
    assert len(texts) == 8 and source.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    for i in (0, 4):
        lengths = sorted(len(t.split()) for t in texts[i : i + 4])
        assert lengths[0] < 20 and lengths[1:3] == [20, 20] and lengths[3] == 22
        same_length = [t.split() for t in texts[i : i + 4] if len(t.split()) == 20]
        assert sum(any(w.startswith("syn") for w in t) for t in same_length) == 1  # replacement vs swap


def test_case_punctuation_and_stop_words():
    eda = EDA({"red": ["blue"], "the": ["a"]}, alpha_sr=1.0, alpha_ri=0, alpha_rs=0, p_rd=0)
    assert eda.augment(["The RED, Red shirt"], 0) == ["The BLUE, Blue shirt"]


def test_seeded_and_deterministic():
    eda = EDA(TABLE)
    texts = [TEXT] * 20
    assert eda.augment(texts, 7) == eda.augment(texts, np.random.default_rng(7))
    assert eda.augment(texts, 7) != eda.augment(texts, 8)
    assert eda.augment(["", "   "], 0) == ["", "   "]


def test_accepts_a_synonym_table():
    table = SynonymTable.from_dict({"cat": ["kitten"]})
    assert EDA(table, alpha_ri=0, alpha_rs=0, p_rd=0).augment(["cat"], 0) == ["kitten"]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"alpha_sr": 1.5}, "alpha_sr"),
        ({"p_rd": 1.0}, "p_rd"),
        ({"n_aug": 0}, "n_aug"),
        ({"alpha_ri": -0.1}, "alpha_ri"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        EDA(TABLE, **kwargs)


def test_synonyms_required_for_replacement_and_rng_required():
    with pytest.raises(ValueError, match="synonyms"):
        EDA(None)
    EDA(None, alpha_sr=0, alpha_ri=0)  # swap and deletion need no table
    with pytest.raises(ValueError, match="rng"):
        EDA(TABLE).augment(["a"], None)
