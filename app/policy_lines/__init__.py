"""R1 poverty lines: versioned, region-scoped policy data (clause 二)."""
