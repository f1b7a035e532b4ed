"""relcore's private kernel: mechanisms that carry no business nouns.

Field checks, money, domain events and their bus, the aggregate
declaration and the base of the facade's namespaces. Every context builds on
it; nothing here knows a customer from a segment.
"""
