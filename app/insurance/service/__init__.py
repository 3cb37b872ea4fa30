"""The insurance services: schemes (I1, I4), roster generation (I2), the exchange (I3)."""

from app.insurance.service.exchange import apply_confirmations, csv_export, list_entries
from app.insurance.service.roster import generate_roster
from app.insurance.service.schemes import create_scheme, get_scheme, list_schemes, update_scheme

__all__ = [
    "apply_confirmations", "create_scheme", "csv_export", "generate_roster", "get_scheme",
    "list_entries", "list_schemes", "update_scheme",
]
