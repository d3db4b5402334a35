"""The supervision pages, by topic; the dashboard, its exports and the scores are
supervision/dashboard.py, exports.py and scoring.py."""
