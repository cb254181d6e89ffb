"""The fair use rule (GCRA over query cost), with a clock the tests move by hand."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.fair_use import Policy, charge, debt_limit, fits, outcome, spend
from app.settings import Settings

POLICY = Policy(limit=1000, window=60)
T0 = 1_700_000_000.0


def test_a_rested_caller_spends_its_whole_budget_at_once_then_waits() -> None:
    first = charge(POLICY, None, T0, 600)
    assert first.allowed and first.remaining == 400 and first.retry_after == 0
    second = charge(POLICY, first.tat, T0, 400)
    assert second.allowed and second.remaining == 0
    assert second.reset_after == pytest.approx(60)

    refused = charge(POLICY, second.tat, T0, 100)
    assert not refused.allowed
    # 100 units flow back in 6 s; a refusal spends nothing.
    assert refused.retry_after == pytest.approx(6)
    assert refused.tat == second.tat and refused.remaining == 0


def test_the_budget_flows_back_linearly() -> None:
    spent = charge(POLICY, None, T0, 1000)
    half_window_later = charge(POLICY, spent.tat, T0 + 30, 500)
    assert half_window_later.allowed and half_window_later.remaining == 0
    assert not charge(POLICY, half_window_later.tat, T0 + 30, 1).allowed
    assert charge(POLICY, half_window_later.tat, T0 + 30.06, 1).allowed


def test_a_long_rest_does_not_save_up_more_than_one_budget() -> None:
    decision = charge(POLICY, T0 - 3600, T0, 1000)
    assert decision.allowed and decision.remaining == 0
    assert not charge(POLICY, None, T0, 1001).allowed


def test_every_request_costs_at_least_one_unit() -> None:
    assert charge(POLICY, None, T0, 0).remaining == 999


def test_headers_follow_the_ietf_draft() -> None:
    allowed = charge(POLICY, None, T0, 250)
    assert allowed.headers(POLICY) == {
        "RateLimit-Limit": "1000",
        "RateLimit-Remaining": "750",
        "RateLimit-Reset": "15",
        "RateLimit-Policy": '1000;w=60;comment="query cost"',
    }
    refused = charge(POLICY, charge(POLICY, None, T0, 1000).tat, T0 + 0.5, 10)
    headers = refused.headers(POLICY)
    assert headers["Retry-After"] == "1" and headers["RateLimit-Remaining"] == "8"


def test_a_policy_needs_a_budget_and_a_window() -> None:
    with pytest.raises(ValueError):
        Policy(limit=0, window=60)
    with pytest.raises(ValueError):
        Policy(limit=10, window=0)


requests = st.lists(
    st.tuples(st.floats(min_value=0, max_value=30), st.integers(min_value=0, max_value=1200)),
    max_size=60,
)


@given(requests)
def test_no_caller_ever_spends_more_than_one_budget_plus_what_flowed_back(
    steps: list[tuple[float, int]],
) -> None:
    now, tat, spent = T0, None, 0
    for pause, cost in steps:
        now += pause
        decision = charge(POLICY, tat, now, cost)
        if decision.allowed:
            tat, spent = decision.tat, spent + max(1, cost)
        assert 0 <= decision.remaining <= POLICY.limit
        assert decision.allowed or decision.retry_after > 0
        assert spent <= POLICY.limit + (now - T0) / POLICY.interval + 1e-6


@given(requests)
def test_the_sql_form_of_the_rule_decides_as_the_rule(steps: list[tuple[float, int]]) -> None:
    """What app/repositories/fair_use.py computes in SQL (the state after, or before when
    refused, and whether it fit), read back with `outcome`, is `charge`'s decision."""
    now, tat = T0, None
    for pause, cost in steps:
        now += pause
        expected = charge(POLICY, tat, now, cost)
        start = now if tat is None else max(tat, now)
        fit = start + spend(POLICY, cost) - now <= debt_limit(POLICY)
        assert fit == fits(POLICY, start + spend(POLICY, cost), now)
        state = start + spend(POLICY, cost) if fit else (tat if tat is not None else now)
        assert outcome(POLICY, state, fit, now, cost) == expected
        tat = expected.tat if expected.allowed else tat


def settings(**values: Any) -> Settings:
    values = {"app_env": "production", **values}
    return Settings(_env_file=None, jwt_secret="x" * 40, **values)  # type: ignore[call-arg,arg-type]


def test_settings_refuse_a_budget_smaller_than_the_largest_query() -> None:
    with pytest.raises(ValidationError, match="RATE_LIMIT_COST"):
        settings(rate_limit_cost=5000, max_query_cost=10_000)
    assert settings().rate_limit_enabled
    assert not settings(app_env="development").rate_limit_enabled
    # Off, the budget is not checked.
    assert not settings(rate_limit=False, rate_limit_cost=5000).rate_limit_enabled
