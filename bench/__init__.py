"""Benchmarks and the synthetic data generator (run as scripts; they print their figures)."""
