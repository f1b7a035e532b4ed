"""The rule language of segments, pure: nodes, catalogue, builder, validation, evaluation, text, JSON."""
