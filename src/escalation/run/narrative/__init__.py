"""The story of one replicate, month by month.

``story`` tells it from its months (``months``) in its words (``words``).
"""
