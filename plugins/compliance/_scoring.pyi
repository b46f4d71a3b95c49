"""The message model's feature sums in C (see ``mmtkit.plugins.compliance.model``)."""

from collections.abc import Sequence

class Scorer:
    """The features (words, and pairs written ``"first second"``) and their weights, one row
    of ``categories`` floats each."""

    def __init__(self, keys: Sequence[str], rows: Sequence[Sequence[float]],
                 categories: int) -> None: ...
    @property
    def features(self) -> int: ...
    def totals(self, text: str) -> list[float]:
        """Each category's sum of the weights of the features ``text`` holds (each feature
        once, in ascending feature order)."""
    def flagged(self, text: str, intercepts: Sequence[float], cutoffs: Sequence[float]
                ) -> list[int]:
        """The categories, by index, whose ``intercept + scale * total`` reaches their
        cutoff, ``scale`` being ``model.feature_scale(text)`` (as ``TextModel.flagged``
        decides)."""
    def where(self, text: str) -> dict[int, tuple[int, int]]:
        """Each feature ``text`` holds, by index, with the span where it first stands (as
        ``FeatureIndex.where`` finds them)."""
