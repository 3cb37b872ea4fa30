"""A2 change requests: proposed from the field, accepted or rejected by another person of the
approving level, applied through the households services (events, audit)."""
