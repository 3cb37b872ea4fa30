"""Insurance subsidies (clause 十三, I1–I4): schemes, rosters, the exchange with the health-insurance
system."""
