"""Cost Explorer's side of the views, against a fake client that answers in the AWS Cost Management API
Reference's shapes and records each request: the second GroupBy (SERVICE, TAG, COST_CATEGORY),
DAILY, BlendedCost, pages, Cost Explorer's own total against its groups, and the Savings Plans and
reservation reports (hand-computed figures per environment)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.costs import ce as ce_source
from awsroles.costs import commitments
from awsroles.costs.model import AccountInfo, By
from awsroles.errors import ExitCode

D = Decimal
TODAY = date(2026, 11, 27)
DEV, PROD, OPS = "222222222222", "444444444444", "111111111111"


def amount(value: str, metric: str = "UnblendedCost") -> dict[str, Any]:
    return {metric: {"Amount": value, "Unit": "USD"}}


class FakeCe:
    """Answers GetCostAndUsage from ``groups`` ({second GroupBy key: [(keys, amount)]}) per period, in pages
    of ``page`` groups; and without GroupBy, ``totals`` (period -> amount)."""

    def __init__(self, groups: dict[str, dict[str, list[tuple[list[str], str]]]], totals: dict[str, str] | None = None,
                 page: int = 100) -> None:
        self.groups, self.totals, self.page = groups, totals or {}, page
        self.calls: list[dict[str, Any]] = []

    def get_cost_and_usage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        metric = kwargs["Metrics"][0]
        if "GroupBy" not in kwargs:
            return {"ResultsByTime": [{"TimePeriod": {"Start": p}, "Total": amount(a, metric), "Groups": [],
                                       "Estimated": False} for p, a in self.totals.items()]}
        second = kwargs["GroupBy"][1]["Key"]
        flat = [(p, keys, a) for p, items in self.groups[second].items() for keys, a in items]
        start = int(kwargs.get("NextPageToken") or 0)
        results: dict[str, list[dict[str, Any]]] = {}
        for p, keys, a in flat[start:start + self.page]:
            results.setdefault(p, []).append({"Keys": keys, "Metrics": amount(a, metric)})
        reply: dict[str, Any] = {"ResultsByTime": [{"TimePeriod": {"Start": p}, "Groups": g, "Estimated": False}
                                                   for p, g in results.items()]}
        if start + self.page < len(flat):
            reply["NextPageToken"] = str(start + self.page)
        return reply


RECORDS = {"2026-10": [([DEV, "Usage"], "100.50"), ([PROD, "Usage"], "300"), ([PROD, "Tax"], "24")]}


def test_by_tag_groups_by_the_account_and_the_tag_and_names_untagged_costs() -> None:
    ce = FakeCe({"RECORD_TYPE": RECORDS, "team": {"2026-10": [([DEV, "team$backend"], "60.50"),
                                                              ([DEV, "team$"], "40"), ([PROD, "team$data"], "324")]}})
    lines, requests = ce_source.fetch(ce, ["2026-10"], "unblended", by=By("tag", "team"), today=TODAY)
    assert requests == 2
    assert ce.calls[1]["GroupBy"] == [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "TAG", "Key": "team"}]
    assert sorted((x.account_id, x.group, x.amount) for x in lines if x.group) == [
        (DEV, "(untagged)", D("40")), (DEV, "backend", D("60.50")), (PROD, "data", D("324"))]
    assert all(not x.record_type for x in lines if x.group)


def test_by_cost_category_groups_by_the_category_and_names_uncategorized_costs() -> None:
    ce = FakeCe({"RECORD_TYPE": RECORDS, "CostCenter": {"2026-10": [([DEV, "CostCenter$engineering"], "100.50"),
                                                                    ([PROD, "CostCenter$"], "324")]}})
    lines, _ = ce_source.fetch(ce, ["2026-10"], "unblended", by=By("category", "CostCenter"), today=TODAY)
    assert ce.calls[1]["GroupBy"][1] == {"Type": "COST_CATEGORY", "Key": "CostCenter"}
    assert {(x.account_id, x.group) for x in lines if x.group} == {(DEV, "engineering"), (PROD, "(uncategorized)")}


def test_by_account_needs_no_second_query() -> None:
    ce = FakeCe({"RECORD_TYPE": RECORDS})
    _, requests = ce_source.fetch(ce, ["2026-10"], "unblended", by=By("account"), today=TODAY)
    assert requests == 1 and len(ce.calls) == 1


def test_every_page_of_a_grouped_query_is_read() -> None:
    groups = {"2026-10": [([f"{200000000000 + i}", "Usage"], "1.01") for i in range(7)]}
    ce = FakeCe({"RECORD_TYPE": groups}, page=3)
    lines, requests = ce_source.fetch(ce, ["2026-10"], "unblended", today=TODAY)
    assert requests == 3 and len(lines) == 7 and sum(x.amount for x in lines) == D("7.07")
    assert [c.get("NextPageToken") for c in ce.calls] == [None, "3", "6"]


def test_daily_and_blended_are_asked_as_such_and_cached_per_month(tmp_path: Path) -> None:
    days = {"2026-10-01": [([DEV, "Usage"], "1.25")], "2026-10-31": [([DEV, "Usage"], "2.5")]}
    ce = FakeCe({"RECORD_TYPE": days})
    cache = ce_source.CostCache(tmp_path, OPS)
    lines, requests = ce_source.fetch(ce, ["2026-10"], "blended", granularity="daily", cache=cache, today=TODAY)
    assert ce.calls[0]["Granularity"] == "DAILY" and ce.calls[0]["Metrics"] == ["BlendedCost"]
    assert ce.calls[0]["TimePeriod"] == {"Start": "2026-10-01", "End": "2026-11-01"}
    assert [(x.month, x.amount) for x in lines] == [("2026-10-01", D("1.25")), ("2026-10-31", D("2.5"))]
    again, more = ce_source.fetch(ce, ["2026-10"], "blended", granularity="daily", cache=cache, today=TODAY)
    assert (requests, more) == (1, 0) and again == lines
    _, monthly = ce_source.fetch(FakeCe({"RECORD_TYPE": RECORDS}), ["2026-10"], "blended", cache=cache, today=TODAY)
    assert monthly == 1  # the monthly query is cached apart from the daily one


def test_cache_files_of_two_tag_keys_never_collide(tmp_path: Path) -> None:
    cache = ce_source.CostCache(tmp_path, OPS)
    assert cache._path("unblended", "TAG:cost-center", "2026-10") != cache._path("unblended", "TAG:cost_center",
                                                                                  "2026-10")
    # the names files had before tag keys: the cache made then still serves
    assert cache._path("unblended", "RECORD_TYPE", "2026-10").name == f"{OPS}-unblended-RECORD_TYPE-2026_10.json"


def test_cost_explorers_total_is_checked_against_its_groups() -> None:
    lines, _ = ce_source.fetch(FakeCe({"RECORD_TYPE": RECORDS}), ["2026-10"], "unblended", today=TODAY)
    agree = FakeCe({}, totals={"2026-10": "424.50"})
    assert ce_source.total_check(agree, ["2026-10"], "unblended", lines, today=TODAY) == ([], 1)
    assert "GroupBy" not in agree.calls[0]
    differ = FakeCe({}, totals={"2026-10": "430.00"})
    problems, requests = ce_source.total_check(differ, ["2026-10"], "unblended", lines, today=TODAY)
    assert requests == 1
    assert problems == ["2026-10: Cost Explorer's total is 430.00 but its groups (account and record type) add up to "
                        "424.50 (a difference of 5.50); the report shows the groups"]
    short = [*lines, *(x for x in ce_source.fetch(FakeCe({"RECORD_TYPE": RECORDS, "SERVICE": {
        "2026-10": [([DEV, "Amazon EC2"], "100")]}}), ["2026-10"], "unblended", by=By("service"), today=TODAY)[0]
        if x.group)]
    problems, _ = ce_source.total_check(agree, ["2026-10"], "unblended", short, today=TODAY)
    assert problems == ["2026-10: the breakdown's groups add up to 100.00 but the record types to 424.50; the "
                        "difference is in 'other'"]


# -- Savings Plans and Reserved Instances -----------------------------------------------------------


class CommitmentCe:
    """The four reports, per LINKED_ACCOUNT filter, in the documented shapes; Savings Plans coverage in pages
    of one period (NextToken), reservation coverage in pages (NextPageToken)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _accounts(self, kwargs: dict[str, Any]) -> set[str]:
        return set(kwargs["Filter"]["Dimensions"]["Values"])

    def get_savings_plans_coverage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("sp_coverage", kwargs))
        accounts = self._accounts(kwargs)
        covered = {"2026-09": "600", "2026-10": "550"} if PROD in accounts else {"2026-09": "0", "2026-10": "0"}
        on_demand = {"2026-09": "400", "2026-10": "450"} if PROD in accounts else {"2026-09": "80", "2026-10": "20"}
        periods = ["2026-09", "2026-10"]
        index = int(kwargs.get("NextToken") or 0)
        period = periods[index]
        reply: dict[str, Any] = {"SavingsPlansCoverages": [{
            "Attributes": {}, "TimePeriod": {"Start": f"{period}-01", "End": "x"},
            "Coverage": {"SpendCoveredBySavingsPlans": covered[period], "OnDemandCost": on_demand[period],
                         "TotalCost": "ignored", "CoveragePercentage": "ignored"}}]}
        if index + 1 < len(periods):
            reply["NextToken"] = str(index + 1)
        return reply

    def get_savings_plans_utilization(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("sp_utilization", kwargs))
        if OPS not in self._accounts(kwargs):
            raise ClientError({"Error": {"Code": "DataUnavailableException", "Message": "no Savings Plans"}},
                              "GetSavingsPlansUtilization")
        return {"SavingsPlansUtilizationsByTime": [{
            "TimePeriod": {"Start": f"{p}-01"},
            "Utilization": {"TotalCommitment": "500", "UsedCommitment": used, "UnusedCommitment": "x",
                            "UtilizationPercentage": "x"},
            "Savings": {"NetSavings": "x", "OnDemandCostEquivalent": od},
            "AmortizedCommitment": {"TotalAmortizedCommitment": "500"}}
            for p, used, od in (("2026-09", "480", "800"), ("2026-10", "400", "650"))]}

    def get_reservation_coverage(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ri_coverage", kwargs))
        reserved = "250" if PROD in self._accounts(kwargs) else "0"
        return {"CoveragesByTime": [{"TimePeriod": {"Start": f"{p}-01"}, "Groups": [], "Total": {
            "CoverageHours": {"ReservedHours": reserved, "OnDemandHours": "750", "TotalRunningHours": "x",
                              "CoverageHoursPercentage": "x"}}} for p in ("2026-09", "2026-10")]}

    def get_reservation_utilization(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ri_utilization", kwargs))
        mine = PROD in self._accounts(kwargs)
        return {"UtilizationsByTime": [{"TimePeriod": {"Start": f"{p}-01"}, "Groups": [], "Total": {
            "PurchasedHours": "300" if mine else "0", "TotalActualHours": "270" if mine else "0",
            "OnDemandCostOfRIHoursUsed": "27" if mine else "0", "TotalAmortizedFee": "18" if mine else "0"}}
            for p in ("2026-09", "2026-10")]}


def by_key(items: list[commitments.Commitment]) -> dict[tuple[str, str, str], commitments.Commitment]:
    return {(c.month, c.environment, c.kind): c for c in items}


def test_the_four_reports_per_environment_from_cost_explorer(tmp_path: Path) -> None:
    ce = CommitmentCe()
    members = {"dev": [DEV], "prod": [PROD], "(shared)": [OPS]}
    cache = ce_source.CostCache(tmp_path, OPS)
    items, requests = commitments.from_cost_explorer(ce, ["2026-09", "2026-10"], members, today=TODAY, cache=cache)
    # per row: SP coverage in two pages, SP utilization, RI coverage, RI utilization
    assert requests == 3 * 5 == len(ce.calls)
    assert {tuple(kw["Filter"]["Dimensions"]["Values"]) for _, kw in ce.calls} == {(DEV,), (PROD,), (OPS,)}
    assert all(kw["TimePeriod"] == {"Start": "2026-09-01", "End": "2026-11-01"} for _, kw in ce.calls)
    got = by_key(items)
    prod_sp = got[("2026-10", "prod", "Savings Plans")]
    assert prod_sp.coverage == D("55.0")  # 550 / (550 + 450)
    assert prod_sp.utilization is None and prod_sp.savings == 0  # prod owns no Savings Plan
    shared_sp = got[("2026-10", "(shared)", "Savings Plans")]
    assert shared_sp.utilization == D("80.0")  # 400 / 500
    assert (shared_sp.on_demand_equivalent, shared_sp.cost, shared_sp.savings) == (D(650), D(500), D(150))
    assert got[("2026-09", "(shared)", "Savings Plans")].utilization == D("96.0")  # 480 / 500
    prod_ri = got[("2026-10", "prod", "Reserved Instances")]
    assert (prod_ri.coverage, prod_ri.utilization, prod_ri.savings) == (D("25.0"), D("90.0"), D(9))  # 27 - 18
    assert got[("2026-10", "dev", "Savings Plans")].coverage == D("0.0")  # 0 / (0 + 20)
    again, more = commitments.from_cost_explorer(CommitmentCe(), ["2026-09", "2026-10"], members, today=TODAY,
                                                 cache=cache)
    assert more == 0 and again == items  # closed months come from the cache


def test_the_open_month_ends_today_and_its_first_day_asks_nothing() -> None:
    ce = CommitmentCe()
    commitments.from_cost_explorer(ce, ["2026-11"], {"prod": [PROD]}, today=date(2026, 11, 27))
    assert {kw["TimePeriod"]["End"] for _, kw in ce.calls} == {"2026-11-27"}
    quiet = CommitmentCe()
    items, requests = commitments.from_cost_explorer(quiet, ["2026-11"], {"prod": [PROD]}, today=date(2026, 11, 1))
    assert requests == 0 and all(item.empty for item in items)


def test_refused_reports_are_billing_errors() -> None:
    class Denied(CommitmentCe):
        def get_savings_plans_coverage(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}},
                              "GetSavingsPlansCoverage")

    with pytest.raises(ce_source.BillingAccessError, match="no access to the bill") as caught:
        commitments.from_cost_explorer(Denied(), ["2026-10"], {"prod": [PROD]}, today=TODAY)
    assert caught.value.exit_code == ExitCode.FAILURE


def test_from_the_cur_sums_coverage_by_user_and_the_rest_by_owner() -> None:
    accounts = {a: AccountInfo(a, n, e) for a, n, e in ((DEV, "dev", "dev"), (PROD, "prod", "prod"),
                                                        (OPS, "ops", None))}
    sums = [
        # prod's usage, covered by the payer's Savings Plan and prod's own reservation
        commitments.CommitmentSums("2026-10", PROD, OPS, sp_covered=D("550")),
        commitments.CommitmentSums("2026-10", PROD, PROD, ri_hours=D("250"), ri_public=D("27")),
        commitments.CommitmentSums("2026-10", PROD, "", sp_on_demand=D("450"), ri_on_demand_hours=D("750"),
                                   ri_fee=D("18"), ri_purchased_hours=D("300"), ri_unused_hours=D("30")),
        commitments.CommitmentSums("2026-10", OPS, "", sp_commitment=D("500"), sp_used=D("400")),
    ]
    got = by_key(commitments.from_cur(sums, accounts, ["2026-10"], ["dev", "prod", "(shared)"]))
    prod_sp, shared_sp = got[("2026-10", "prod", "Savings Plans")], got[("2026-10", "(shared)", "Savings Plans")]
    assert prod_sp.coverage == D("55.0") and prod_sp.on_demand_equivalent == 0
    assert (shared_sp.utilization, shared_sp.on_demand_equivalent, shared_sp.savings) == (D("80.0"), D(550), D(50))
    prod_ri = got[("2026-10", "prod", "Reserved Instances")]
    assert (prod_ri.coverage, prod_ri.utilization, prod_ri.on_demand_equivalent, prod_ri.cost, prod_ri.savings) == (
        D("25.0"), D("90.0"), D(27), D(18), D(9))
    assert got[("2026-10", "dev", "Savings Plans")].empty
