"""awsroles.costs.sources (which source, and reaching the billing account) and
awsroles.costs.forecast (the arithmetic, with the clock passed in), without AWS: fakes stand in
for the clients, a local CUR export for the offline source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from awsroles.costs.ce import CostCache
from awsroles.costs.forecast import forecast, per_environment
from awsroles.costs.model import UNMAPPED, AccountInfo, CostLine
from awsroles.costs.sources import SourceOptions, WarnOnFailedWrite, collect
from awsroles.errors import UsageError
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES
from tests.unit.test_costs_cur import CUR2_COLUMNS, cur_row, write

ORG = load_org(EXAMPLES / "classic.ini")
ACCOUNTS = {a.id: AccountInfo(a.id, a.name, a.environment) for a in ORG.accounts}
PROD = ORG.environments["prod"].id
DEV = ORG.environments["dev"].id


class FakeCe:
    """Cost Explorer that answers every GetCostAndUsage with ``amounts`` (account -> amount) and every
    GetCostForecast with ``ahead``; it remembers the requests."""

    def __init__(self, amounts: dict[str, str], ahead: dict[str, str], month: str):
        self.amounts, self.ahead, self.month = amounts, ahead, month
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_cost_and_usage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetCostAndUsage", kwargs))
        if "GroupBy" not in kwargs:  # Cost Explorer's own total, as AWS answers it without GroupBy
            total = sum((Decimal(a) for a in self.amounts.values()), Decimal(0))
            return {"ResultsByTime": [{"TimePeriod": {"Start": f"{self.month}-01"}, "Groups": [], "Estimated": True,
                                       "Total": {"UnblendedCost": {"Amount": str(total), "Unit": "USD"}}}]}
        groups = [{"Keys": [account, "Usage"], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                  for account, amount in self.amounts.items()]
        return {"ResultsByTime": [{"TimePeriod": {"Start": f"{self.month}-01"}, "Groups": groups, "Estimated": True}]}

    def get_cost_forecast(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetCostForecast", kwargs))
        account = kwargs["Filter"]["Dimensions"]["Values"][0]
        return {"Total": {"Amount": self.ahead.get(account, "0")}}


class FakeAws:
    """Just what collect() asks of an Aws for Cost Explorer: the billing account, Organizations, CE."""

    def __init__(self, ce: FakeCe):
        self.ce, self.reached = ce, []
        self.settings = type("S", (), {"profile": None})()

    def for_account(self, account_id: str, role: str, *, partition: str = "aws") -> str:
        self.reached.append((account_id, role, partition))
        return "billing-session"

    def client(self, service: str, session: Any = None) -> Any:
        assert session == "billing-session"
        if service == "ce":
            return self.ce
        organizations = type("O", (), {})()
        organizations.get_paginator = lambda _name: type("P", (), {"paginate": lambda self: [{"Accounts": []}]})()
        return organizations


# -- forecast ---------------------------------------------------------------------------------


def test_per_environment_adds_spent_and_forecast_and_keeps_the_unmapped() -> None:
    lines = [CostLine("2026-02", PROD, "Usage", amount=Decimal("10.005")),
             CostLine("2026-02", PROD, "Usage", amount=Decimal("1")),
             CostLine("2026-02", "999999999999", "Usage", amount=Decimal("2"))]
    rows = per_environment("2026-02", lines, {PROD: Decimal("5"), DEV: Decimal("0.5")}, ACCOUNTS, ["dev", "prod"])
    assert rows == [
        {"month": "2026-02", "environment": "dev", "spent": "0.00", "forecast": "0.50", "total": "0.50"},
        {"month": "2026-02", "environment": "prod", "spent": "11.00", "forecast": "5.00", "total": "16.00"},
        {"month": "2026-02", "environment": UNMAPPED, "spent": "2.00", "forecast": "0.00", "total": "2.00"},
    ]


def test_forecast_uses_the_clock_it_is_given() -> None:
    ce = FakeCe({PROD: "40"}, {PROD: "60"}, "2024-02")
    rows, requests = forecast(ce, ACCOUNTS, "unblended", ORG, today=date(2024, 2, 10))
    assert [r for r in rows if r["environment"] == "prod"] == [
        {"month": "2024-02", "environment": "prod", "spent": "40.00", "forecast": "60.00", "total": "100.00"}]
    usage = [kw for name, kw in ce.calls if name == "GetCostAndUsage"]
    assert usage[0]["TimePeriod"] == {"Start": "2024-02-01", "End": "2024-03-01"}
    periods = {kw["TimePeriod"]["Start"] + ".." + kw["TimePeriod"]["End"] for name, kw in ce.calls
               if name == "GetCostForecast"}
    assert periods == {"2024-02-10..2024-03-01"}
    assert requests == len(ce.calls) == 1 + len({a.id for a in ORG.accounts})


# -- sources ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "message"), [
    (SourceOptions(source="cur"), "--source cur needs --path"),
    (SourceOptions(source="athena", athena_database="db"), "--source athena needs --athena-database"),
    (SourceOptions(source="cur", cur_path="/x", forecast=True), "--forecast comes from Cost Explorer"),
    (SourceOptions(source="bill"), "unknown cost source 'bill'"),
])
def test_options_that_cannot_work_are_refused_before_any_aws_call(options: SourceOptions, message: str) -> None:
    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"AWS was asked for {name}")

    with pytest.raises(UsageError, match=message):
        collect(ORG, ["2026-10"], "unblended", options, today=date(2026, 11, 27), aws=Untouchable())  # type: ignore[arg-type]


def test_a_local_cur_export_needs_no_aws(tmp_path: Path) -> None:
    write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 12.5, account=PROD), cur_row("Usage", 1.0,
                                                                                          account="999999999999")])
    got = collect(ORG, ["2026-10"], "unblended", SourceOptions(source="cur", cur_path=str(tmp_path / "cur")),
                  today=date(2026, 11, 27), aws=None)
    assert got.requests == 0 and got.ce is None
    assert {(x.account_id, x.amount) for x in got.lines} == {(PROD, Decimal("12.5")), ("999999999999", Decimal("1"))}
    assert got.accounts[PROD].environment == "prod"
    assert got.accounts["999999999999"].environment is None  # completed: shown as unmapped, never dropped


def test_cost_explorer_in_the_billing_account_with_the_cache(tmp_path: Path) -> None:
    ce = FakeCe({PROD: "7"}, {}, "2026-10")
    aws = FakeAws(ce)
    cache = CostCache(tmp_path / "costs", ORG.billing.id)
    ce_closed = FakeCe({PROD: "7"}, {}, "2026-10")

    def closed(**kwargs: Any) -> dict[str, Any]:  # a closed month: no longer estimated, so it is cached
        reply = FakeCe.get_cost_and_usage(ce_closed, **kwargs)
        reply["ResultsByTime"][0]["Estimated"] = False
        return reply

    ce.get_cost_and_usage = closed  # type: ignore[method-assign]
    options = SourceOptions(source="ce")
    warnings: list[str] = []
    first = collect(ORG, ["2026-10"], "unblended", options, today=date(2026, 11, 27), aws=aws, cache=cache,  # type: ignore[arg-type]
                    warn=warnings.append)
    again = collect(ORG, ["2026-10"], "unblended", options, today=date(2026, 11, 27), aws=aws, cache=cache)  # type: ignore[arg-type]
    assert aws.reached[0] == (ORG.billing.id, ORG.bootstrap_role, ORG.partition)
    # one query grouped by account and record type, one for Cost Explorer's own total; then none
    assert (first.requests, again.requests) == (2, 0) and warnings == []
    assert first.lines == again.lines and first.ce is ce
    # the same month while it is still open is never cached: the clock decides
    fresh = collect(ORG, ["2026-10"], "unblended", options, today=date(2026, 10, 27), aws=aws,  # type: ignore[arg-type]
                    cache=CostCache(tmp_path / "open", ORG.billing.id))
    assert fresh.requests == 2 and not (tmp_path / "open").exists()


def test_a_cache_that_cannot_be_written_is_one_warning(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    warnings: list[str] = []
    cache = WarnOnFailedWrite(CostCache(tmp_path / "file" / "costs", "1"), warnings.append)
    line = CostLine("2026-10", PROD, "Usage", amount=Decimal("1"))
    cache.put("unblended", "RECORD_TYPE", "2026-10", [line])
    cache.put("unblended", "RECORD_TYPE", "2026-09", [line])
    assert len(warnings) == 1 and "closed months are not cached" in warnings[0]


def test_the_forecast_line_adds_up_as_shown() -> None:
    lines = [CostLine("2026-02", PROD, "Usage", amount=Decimal("1.006"))]
    [row] = per_environment("2026-02", lines, {PROD: Decimal("1.006")}, ACCOUNTS, ["prod"])
    # each part rounded, then added: 1.01 + 1.01 = 2.02 (the unrounded 2.012 would show 2.01)
    assert (row["spent"], row["forecast"], row["total"]) == ("1.01", "1.01", "2.02")


def test_a_cost_explorer_total_that_differs_from_its_groups_is_a_warning_with_both_numbers() -> None:
    class Differs(FakeCe):
        def get_cost_and_usage(self, **kwargs: Any) -> dict[str, Any]:
            reply = super().get_cost_and_usage(**kwargs)
            if "GroupBy" not in kwargs:
                reply["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"] = "7.5"
            return reply

    warnings: list[str] = []
    got = collect(ORG, ["2026-10"], "unblended", SourceOptions(source="ce", use_cache=False),
                  today=date(2026, 11, 27), aws=FakeAws(Differs({PROD: "7"}, {}, "2026-10")),  # type: ignore[arg-type]
                  warn=warnings.append)
    assert warnings == ["awsroles: warning: 2026-10: Cost Explorer's total is 7.50 but its groups (account and "
                        "record type) add up to 7.00 (a difference of 0.50); the report shows the groups"]
    assert sum(x.amount for x in got.lines) == Decimal(7)
