"""eMentor: human e-mentoring for Open edX courses (the Django plugin app)."""

__version__ = "0.1.0"
