"""Villages (clauses 二.2, 七): weak-village lines R2, collective incomes, key areas R3, eight haves V1."""
