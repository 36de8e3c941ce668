"""How alike two observed behaviours are: a score in [0, 1].

The default is the cosine of character trigram counts over lower-cased,
whitespace-collapsed text: no model download, no torch, ~20 us per pair of
short texts. It measures near-verbatim overlap, not meaning: a paraphrase
scores well below 0.92. An embedding model catches paraphrases; plug one in
with `[tool.failgate.intake] embedder = "pkg.module:embed"`, a callable
`embed(texts: list[str]) -> list[list[float]]` (for example model2vec's
`StaticModel.from_pretrained(<local path>).encode`).

The threshold depends on the embedder and must be calibrated for it
(FIELD-NOTES: with all-MiniLM-L6-v2, real paraphrases scored 0.72-0.87 and
*different* failures 0.83-0.89, so 0.92 merges only near-verbatim text).
Score a handful of known duplicate and known different pairs from your own
dataset before changing `similarity_threshold`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

_SPACE = re.compile(r"\s+")
Vector = Any


class NgramSimilarity:
    name = "char-3gram-cosine"

    def __init__(self, n: int = 3) -> None:
        self.n = n

    def vectors(self, texts: Sequence[str]) -> list[Vector]:
        out = []
        for text in texts:
            norm = f" {_SPACE.sub(' ', text.lower()).strip()} "
            counts = Counter(norm[i : i + self.n] for i in range(max(1, len(norm) - self.n + 1)))
            length = math.sqrt(sum(c * c for c in counts.values())) or 1.0
            out.append({gram: c / length for gram, c in counts.items()})
        return out

    @staticmethod
    def score(a: Vector, b: Vector) -> float:
        if len(a) > len(b):
            a, b = b, a
        return min(1.0, sum(weight * b.get(gram, 0.0) for gram, weight in a.items()))


class EmbedderSimilarity:
    """Cosine over the vectors of a user-supplied embedder."""

    def __init__(self, embed: Callable[[list[str]], Any], name: str) -> None:
        self.embed = embed
        self.name = name

    def vectors(self, texts: Sequence[str]) -> list[Vector]:
        vectors = [list(map(float, v)) for v in self.embed(list(texts))]
        return [_unit(v) for v in vectors]

    @staticmethod
    def score(a: Vector, b: Vector) -> float:
        return max(0.0, min(1.0, sum(x * y for x, y in zip(a, b))))


def _unit(vector: list[float]) -> list[float]:
    length = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / length for x in vector]


def build_similarity(
    embedder: str | None, root: str | None = None, pythonpath: Sequence[str] = ()
) -> NgramSimilarity | EmbedderSimilarity:
    if not embedder:
        return NgramSimilarity()
    from failgate.intake.settings import load_callable

    return EmbedderSimilarity(load_callable(embedder, root, what="embedder", pythonpath=pythonpath), embedder)
