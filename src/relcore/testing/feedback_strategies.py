"""Hypothesis strategies for the feedback context: responses of every kind on their scales.

Example:
    >>> from hypothesis import given
    >>> @given(feedback_responses())
    ... def test_scores_lie_on_their_scale(response):
    ...     assert response.scale.holds(response.score)
    >>> test_scores_lie_on_their_scale()
"""

from __future__ import annotations

from hypothesis import strategies as st

from relcore.feedback.model import FeedbackKind, FeedbackResponse, Scale
from relcore.ids import uuid7
from relcore.testing.strategies import aware_datetimes, texts

__all__ = ["feedback_responses", "scales"]

CHANNELS = ("email", "web", "sms", "phone", "chat", "in_app")


@st.composite
def scales(draw: st.DrawFn) -> Scale:
    """Scales of 2 to 101 points, with ends from 0 to 1000."""
    low = draw(st.integers(0, 999))
    high = draw(st.integers(low + 1, min(low + 100, 1000)))
    return Scale(low, high)


@st.composite
def feedback_responses(draw: st.DrawFn) -> FeedbackResponse:
    """Responses of every kind: NPS on 0-10, CSAT and CES on their default or another scale, custom ones."""
    kind = draw(st.sampled_from(list(FeedbackKind)))
    default = Scale.default(kind)
    if kind is FeedbackKind.NPS or (default is not None and draw(st.booleans())):
        assert default is not None
        scale = default
    else:
        scale = draw(scales())
    return FeedbackResponse(
        customer_id=uuid7(),
        contact_id=draw(st.none() | st.builds(uuid7)),
        kind=kind,
        score=draw(st.integers(scale.low, scale.high)),
        scale_min=scale.low,
        scale_max=scale.high,
        comment=draw(st.none() | texts(0, 200)),
        answered_at=draw(aware_datetimes()),
        channel=draw(st.sampled_from(CHANNELS)),
        touchpoint_id=draw(st.none() | st.builds(uuid7)),
        case_id=draw(st.none() | st.builds(uuid7)),
        campaign_id=draw(st.none() | st.builds(uuid7)),
        survey=draw(st.none() | texts(1, 100)),
        source=draw(texts(1, 100)),
        external_id=draw(st.none() | texts(1, 200)),
        latest=draw(st.booleans()),
        created_at=draw(aware_datetimes()),
    )
