"""A request's allowance of rows: each read asks for one row past what is left, spends what it
took, and the read that passes it fails before anything is built of it; so does any read
after."""

from __future__ import annotations

import pytest

from app.db.row_reads import RowAllowance, TooManyRows
from app.domain.service_data import ServiceItem, Usage, available_by_record


def test_reads_spend_the_allowance_and_the_one_past_it_fails() -> None:
    allowance = RowAllowance(10)
    assert allowance.statement_limit == 11
    allowance.spend(4)
    assert allowance.statement_limit == 7
    allowance.spend(6)  # exactly what was allowed
    assert allowance.statement_limit == 1
    with pytest.raises(TooManyRows) as passed:
        allowance.spend(1)
    assert passed.value.limit == 10
    with pytest.raises(TooManyRows):  # nothing more is read once it was passed
        _ = allowance.statement_limit


def test_available_quantity_by_record_is_the_quantity_less_the_most_applied() -> None:
    assert available_by_record(5, None) == 5
    assert available_by_record(5, 3) == 2
    item = ServiceItem("i", "art", 5, (Usage("a", 1, 2, False), Usage("b", 2, 3, True)))
    assert item.available_as_recorded == available_by_record(5, 3) == 2
