"""stance.cues: construction cues fire on what is being done, and make a named feature block."""

from __future__ import annotations

from stance.cues import CONSTRUCTION_NAMES, ConstructionFeatures, construction_hits


def test_cues_fire_on_constructions_not_topics() -> None:
    assert "threat_conditional_harm" in construction_hits("If they cross the border, we will strike back.")
    assert "denial_no_event" in construction_hits("There was no invasion, the minister said.")
    assert "blame_verb_agent" in construction_hits("The union blamed management for the accident.")
    assert "denial_verb&denial_false" in construction_hits("The ministry denied the claims as false.")
    assert construction_hits("The summit will take place in Geneva next month.") == []


def test_feature_block_keeps_the_cues_it_was_fitted_with() -> None:
    block = ConstructionFeatures(weight=2.0).fit(["x"])
    X = block.transform(["If they attack, we will respond.", "Shares rose."])
    assert X.shape == (2, len(CONSTRUCTION_NAMES)) and set(X.data) == {2.0} and X[1].nnz == 0
    names = list(block.get_feature_names_out())
    assert names == [f"<{n}>" for n in CONSTRUCTION_NAMES]
    block.names_ = block.names_[:3]  # an older model with fewer cues keeps its columns
    assert block.transform(["If they attack, we will respond."]).shape == (1, 3)
