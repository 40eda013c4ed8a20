"""The eMentor XBlock: recruitment, goals and match-explanation panels inside a course unit."""
