"""The kinds of import, by name."""

from __future__ import annotations

from app.imports.kinds.base import Kind


def kind_class(name: str) -> type[Kind]:
    from app.imports.kinds.households import Households
    from app.imports.kinds.members import Assessments, Members
    from app.imports.kinds.villages import VillageIncomes, Villages

    kinds: dict[str, type[Kind]] = {k.name: k for k in (Households, Members, Assessments, Villages,
                                                         VillageIncomes)}
    try:
        from app.imports.kinds.pairings import Helpers, Pairings
    except ImportError:  # the pairings service has not landed yet
        pass
    else:
        kinds.update({Helpers.name: Helpers, Pairings.name: Pairings})
    return kinds[name]
