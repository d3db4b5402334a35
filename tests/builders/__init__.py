"""Builders of sample input files, made in memory for tests."""
