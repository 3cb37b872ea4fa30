"""Xiaokang: the system of record for Taizhou's poverty-relief programme (泰發〔2016〕5號)."""

__version__ = "0.1.0"
