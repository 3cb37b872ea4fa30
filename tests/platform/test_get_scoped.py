"""get_scoped: a row read by its key answers only inside the caller's region; absent and out of
region are the same 404 (existence is not revealed)."""

import uuid
from dataclasses import dataclass

import pytest

from app.auth.principal import Principal
from app.auth.scoping import get_scoped
from app.errors import NotFound

TOWN = "321281101000"  # a town of Xinghua


@dataclass
class Row:
    region_code: str | None = None
    scope_code: str | None = None


class Session:
    """Answers `get` from a dict and keeps what it was asked."""

    def __init__(self, rows):
        self.rows, self.calls = rows, []

    async def get(self, model, ident, **kw):
        self.calls.append((model, ident, kw))
        return self.rows.get(ident)


def principal(region_code: str) -> Principal:
    return Principal(kind="user", id=uuid.uuid4(), name="", role="town_officer",
                     scopes=frozenset(), region_code=region_code)


async def test_a_row_in_the_callers_region_is_answered_unlocked_by_default():
    row = Row(region_code="321281101203")
    session = Session({1: row})
    assert await get_scoped(session, principal(TOWN), Row, 1, "user") is row
    assert session.calls == [(Row, 1, {"with_for_update": None})]


@pytest.mark.parametrize("rows", [{}, {1: Row(region_code="321281102001")}, {1: Row()}],
                         ids=["absent", "another town", "no region"])
async def test_absent_and_out_of_region_are_the_same_404(rows):
    with pytest.raises(NotFound) as e:
        await get_scoped(Session(rows), principal(TOWN), Row, 1, "helper")
    assert (e.value.code, e.value.detail) == ("helper.not_found", "No such helper.")


async def test_a_principal_with_no_region_sees_nothing():
    with pytest.raises(NotFound):
        await get_scoped(Session({1: Row(region_code=TOWN)}), principal(""), Row, 1, "user")


async def test_region_column_detail_lock_and_options_are_the_callers():
    row = Row(region_code="321281102001", scope_code="321281101203")
    session = Session({1: row})
    got = await get_scoped(session, principal(TOWN), Row, 1, "pairing", region="scope_code",
                           lock=True, populate_existing=True)
    assert got is row
    assert session.calls == [(Row, 1, {"with_for_update": True, "populate_existing": True})]
    with pytest.raises(NotFound) as e:
        await get_scoped(Session({1: row}), principal(TOWN), Row, 1, "dibao.case",
                         detail="No such dibao case.")
    assert (e.value.code, e.value.detail) == ("dibao.case.not_found", "No such dibao case.")
