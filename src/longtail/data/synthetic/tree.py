"""The vocabulary flattened into arrays: leaf categories, their departments and word pools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from longtail.data.synthetic.vocab import COMPLEMENTS, DEPARTMENTS, Department, Leaf


@dataclass(frozen=True)
class GroupedPool:
    """Several lists (of words, or of leaf indices) stored flat, so one draw per row picks from that row's list."""

    words: np.ndarray  # object array of all words, list after list
    start: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, groups: Sequence[Sequence[str]]) -> "GroupedPool":
        """Pool the lists; list ``g`` is addressed by group index ``g``."""
        sizes = np.array([len(g) for g in groups], dtype=np.int64)
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        words = np.array([w for g in groups for w in g] or [""], dtype=object)
        return cls(words=words, start=start, size=sizes)

    def draw(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """One uniform pick per row from the list of ``group[row]``; -1 where that list is empty."""
        size = self.size[group]
        picked = self.start[group] + np.floor(rng.random(len(group)) * size).astype(np.int64)
        return np.where(size > 0, picked, -1)

    def text(self, index: np.ndarray) -> np.ndarray:
        """Words for flat indices from :meth:`draw`; None where the index is -1."""
        out = self.words[np.maximum(index, 0)].copy()
        out[index < 0] = None
        return out


@dataclass(frozen=True)
class CategoryTree:
    """Leaf categories as arrays: full path, department, sibling group, complements."""

    departments: tuple[Department, ...]
    leaves: tuple[Leaf, ...]
    paths: tuple[str, ...]
    department: np.ndarray  # leaf -> department index
    parent: np.ndarray  # leaf -> index of its parent path; siblings share it
    complements: tuple[np.ndarray, ...]  # leaf -> leaves whose items complement it

    @classmethod
    def build(
        cls,
        departments: Sequence[Department] = DEPARTMENTS,
        complements: Mapping[str, Sequence[str]] = COMPLEMENTS,
        sep: str = " > ",
    ) -> "CategoryTree":
        """Flatten the departments; raise ValueError on a complement naming an unknown leaf."""
        leaves, paths, dept, parents = [], [], [], []
        for d, department in enumerate(departments):
            for leaf in department.leaves:
                full = (department.name, *leaf.path)
                leaves.append(leaf)
                paths.append(sep.join(full))
                dept.append(d)
                parents.append(sep.join(full[:-1]))
        position = {p: i for i, p in enumerate(paths)}
        unknown = [p for key, vals in complements.items() for p in (key, *vals) if p not in position]
        if unknown:
            raise ValueError(f"complements: unknown category path {unknown[0]!r}; use a leaf path of the tree")
        parent_codes = {p: i for i, p in enumerate(dict.fromkeys(parents))}
        comp = tuple(np.array([position[c] for c in complements.get(p, ())], dtype=np.int64) for p in paths)
        return cls(
            departments=tuple(departments),
            leaves=tuple(leaves),
            paths=tuple(paths),
            department=np.array(dept, dtype=np.int64),
            parent=np.array([parent_codes[p] for p in parents], dtype=np.int64),
            complements=comp,
        )

    @property
    def n_leaves(self) -> int:
        """Number of leaf categories."""
        return len(self.leaves)

    @property
    def n_departments(self) -> int:
        """Number of top-level categories."""
        return len(self.departments)

    def leaf_sizes(self) -> list[tuple[str, ...]]:
        """Size system of each leaf (its own, else its department's)."""
        return [
            leaf.sizes if leaf.sizes is not None else self.departments[d].sizes
            for leaf, d in zip(self.leaves, self.department)
        ]
