"""Dibao, the rural minimum living guarantee (clause 十四): standards, cases, grants, coverage."""
