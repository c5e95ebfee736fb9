"""Benchmarks (run as scripts: python bench/<name>.py); never collected as tests."""
