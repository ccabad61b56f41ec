"""The sandbox's synthetic bill (in process): every grouping, granularity and metric of GetCostAndUsage
adds up to the same totals, every record type the report knows is in it, and its Savings Plans and
reservation reports agree with its own cost lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from awsroles.costs.categories import category, is_unknown
from awsroles.sandbox.server.costs import CostData

D = Decimal
PAYER, DEV, STAGE, PROD = "111111111111", "222222222222", "333333333333", "444444444444"
METRICS = ["UnblendedCost", "AmortizedCost", "BlendedCost", "NetUnblendedCost", "NetAmortizedCost"]
TODAY = date(2026, 11, 29)


@pytest.fixture
def bill() -> CostData:
    data = CostData()
    data.seed(PAYER, {PAYER: 0.4, DEV: 1.5, STAGE: 2.0, PROD: 5.0}, 13,
              {DEV: "engineering", STAGE: "engineering", PROD: "product"}, TODAY)
    return data


def ask(bill: CostData, start: str, end: str, groups: list[tuple[str, str]], granularity: str = "MONTHLY",
        metrics: list[str] = METRICS) -> list[dict[str, Any]]:
    """Every result of every page."""
    results: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TimePeriod": {"Start": start, "End": end}, "Granularity": granularity,
                               "Metrics": metrics, "GroupBy": [{"Type": t, "Key": k} for t, k in groups]}
    while True:
        reply = bill.answer(PAYER, request)
        results.extend(reply["ResultsByTime"])
        if "NextPageToken" not in reply:
            return results
        request["NextPageToken"] = reply["NextPageToken"]


def sums(results: list[dict[str, Any]], metric: str, where: Any = None) -> D:
    total = D(0)
    for result in results:
        if result["Total"]:  # asked without GroupBy
            total += D(result["Total"][metric]["Amount"])
        for group in result["Groups"]:
            if where is None or where(group["Keys"]):
                total += D(group["Metrics"][metric]["Amount"])
    return total


GROUPINGS = [[("DIMENSION", "LINKED_ACCOUNT"), ("DIMENSION", "RECORD_TYPE")],
             [("DIMENSION", "LINKED_ACCOUNT"), ("DIMENSION", "SERVICE")],
             [("DIMENSION", "LINKED_ACCOUNT"), ("TAG", "team")],
             [("DIMENSION", "LINKED_ACCOUNT"), ("COST_CATEGORY", "CostCenter")], []]


def test_every_grouping_and_granularity_adds_up_to_the_same_total(bill: CostData) -> None:
    """For every metric, asked together (one pass over the bill for all five)."""
    for start, end in (("2026-10-01", "2026-11-01"), ("2026-11-01", "2026-12-01"), ("2025-11-01", "2026-12-01")):
        answers = [ask(bill, start, end, g, granularity, METRICS)
                   for g in GROUPINGS for granularity in ("MONTHLY", "DAILY")]
        for metric in METRICS:
            totals = {sums(results, metric) for results in answers}
            assert len(totals) == 1, (start, metric, totals)
            assert totals != {D(0)}, (start, metric)  # a bill there to add up


def test_months_and_days_and_pages(bill: CostData) -> None:
    year = ask(bill, "2025-11-01", "2026-12-01", [])
    assert [r["TimePeriod"]["Start"] for r in year][:2] == ["2025-11-01", "2025-12-01"] and len(year) == 13
    assert [r["Estimated"] for r in year][-2:] == [False, True]  # the pinned day's month is open
    days = ask(bill, "2026-11-01", "2026-12-01", [], "DAILY")
    assert [r["TimePeriod"]["Start"] for r in days if D(r["Total"]["UnblendedCost"]["Amount"])][-1] == "2026-11-28"
    first = bill.answer(PAYER, {"TimePeriod": {"Start": "2025-11-01", "End": "2026-12-01"}, "Granularity": "MONTHLY",
                                "Metrics": ["UnblendedCost"], "GroupBy": []})
    assert len(first["ResultsByTime"]) == 4 and first["NextPageToken"] == "4"
    assert ask(bill, "2024-01-01", "2024-02-01", []) == [
        {"TimePeriod": {"Start": "2024-01-01", "End": "2024-02-01"}, "Total": {m: {"Amount": "0", "Unit": "USD"}
                                                                               for m in METRICS},
         "Groups": [], "Estimated": False}]  # before the bill's thirteen months


def test_the_bill_has_every_kind_of_charge_the_report_knows(bill: CostData) -> None:
    types = set()
    for results in (ask(bill, "2025-11-01", "2026-11-01", [("DIMENSION", "RECORD_TYPE")]),):
        types |= {g["Keys"][0] for r in results for g in r["Groups"]}
    assert {"Usage", "Enterprise Discount Program Discount", "Private Rate Card Discount", "SavingsPlanCoveredUsage",
            "SavingsPlanNegation", "SavingsPlanRecurringFee", "DiscountedUsage", "RIFee", "Tax", "Credit", "Refund",
            "Support"} == types
    assert {category(t) for t in types} == {"usage", "discounts", "credits", "refunds", "tax", "support", "fees"}
    assert not any(is_unknown(category(t)) for t in types)


def test_tags_and_cost_categories(bill: CostData) -> None:
    october = ask(bill, "2026-10-01", "2026-11-01", [("DIMENSION", "LINKED_ACCOUNT"), ("TAG", "team")])
    assert {g["Keys"][1] for g in october[0]["Groups"]} == {"team$backend", "team$data", "team$platform", "team$"}
    categories = ask(bill, "2026-10-01", "2026-11-01", [("DIMENSION", "LINKED_ACCOUNT"), ("COST_CATEGORY",
                                                                                          "CostCenter")])
    assert {tuple(g["Keys"]) for g in categories[0]["Groups"]} == {
        (PAYER, "CostCenter$"), (DEV, "CostCenter$engineering"), (STAGE, "CostCenter$engineering"),
        (PROD, "CostCenter$product")}


def test_amortization_moves_commitments_onto_the_usage_they_cover(bill: CostData) -> None:
    october = ask(bill, "2026-10-01", "2026-11-01", [("DIMENSION", "LINKED_ACCOUNT"), ("DIMENSION", "RECORD_TYPE")])

    def amount(metric: str, account: str, record_type: str) -> D:
        return sums(october, metric, lambda keys: keys == [account, record_type])

    covered = amount("UnblendedCost", PROD, "SavingsPlanCoveredUsage")
    assert amount("UnblendedCost", PROD, "SavingsPlanNegation") == -covered  # the invoice: covered usage cancels
    assert amount("AmortizedCost", PROD, "SavingsPlanNegation") == 0
    assert amount("UnblendedCost", PROD, "DiscountedUsage") == 0  # paid through the RIFee
    fee = amount("UnblendedCost", PAYER, "SavingsPlanRecurringFee")
    used = sum((amount("AmortizedCost", a, "SavingsPlanCoveredUsage") for a in (STAGE, PROD)), D(0))
    assert amount("AmortizedCost", PAYER, "SavingsPlanRecurringFee") == fee - used  # the unused commitment
    assert sums(october, "AmortizedCost") == sums(october, "UnblendedCost")  # nothing lost, nothing made up
    assert sums(october, "NetUnblendedCost") == sums(october, "UnblendedCost")  # discounts folded into usage
    assert amount("NetUnblendedCost", PROD, "Enterprise Discount Program Discount") == 0


def report(bill: CostData, operation: str, accounts: list[str], start: str = "2026-10-01",
           end: str = "2026-11-01", granularity: str = "MONTHLY") -> dict[str, Any]:
    return bill.commitments(PAYER, operation, {"TimePeriod": {"Start": start, "End": end}, "Granularity": granularity,
                                               "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": accounts}}})


def test_the_savings_plans_reports_agree_with_the_cost_lines(bill: CostData) -> None:
    october = ask(bill, "2026-10-01", "2026-11-01", [("DIMENSION", "LINKED_ACCOUNT"), ("DIMENSION", "RECORD_TYPE")])

    def unblended(account: str, record_type: str, metric: str = "UnblendedCost") -> D:
        return sums(october, metric, lambda keys: keys == [account, record_type])

    [prod] = report(bill, "GetSavingsPlansCoverage", [PROD])["SavingsPlansCoverages"]
    assert D(prod["Coverage"]["SpendCoveredBySavingsPlans"]) == unblended(PROD, "SavingsPlanCoveredUsage")
    [payer] = report(bill, "GetSavingsPlansUtilization", [PAYER])["SavingsPlansUtilizationsByTime"]
    assert D(payer["Utilization"]["TotalCommitment"]) == unblended(PAYER, "SavingsPlanRecurringFee")
    assert D(payer["Utilization"]["UnusedCommitment"]) == unblended(PAYER, "SavingsPlanRecurringFee", "AmortizedCost")
    assert D(payer["Savings"]["OnDemandCostEquivalent"]) == (unblended(STAGE, "SavingsPlanCoveredUsage")
                                                            + unblended(PROD, "SavingsPlanCoveredUsage"))
    [nobody] = report(bill, "GetSavingsPlansUtilization", [PROD])["SavingsPlansUtilizationsByTime"]
    assert nobody["Utilization"]["TotalCommitment"] == "0.0000"  # prod bought no Savings Plan


def test_the_reservation_reports_agree_with_the_cost_lines(bill: CostData) -> None:
    october = ask(bill, "2026-10-01", "2026-11-01", [("DIMENSION", "LINKED_ACCOUNT"), ("DIMENSION", "RECORD_TYPE")])

    def amount(record_type: str, metric: str) -> D:
        return sums(october, metric, lambda keys: keys == [PROD, record_type])

    [used] = report(bill, "GetReservationUtilization", [PROD])["UtilizationsByTime"]
    total = used["Total"]
    assert D(total["TotalAmortizedFee"]) == amount("RIFee", "UnblendedCost")
    assert D(total["RICostForUnusedHours"]) == amount("RIFee", "AmortizedCost").quantize(D("0.0001"))
    assert D(total["UtilizationPercentage"]) == 90
    [covered] = report(bill, "GetReservationCoverage", [PROD])["CoveragesByTime"]
    hours = covered["Total"]["CoverageHours"]
    assert D(hours["ReservedHours"]) == D(total["TotalActualHours"])
    assert round(D(hours["CoverageHoursPercentage"])) == 25  # 10% of EC2 reserved, 30% on demand


def test_reports_take_no_end_after_today_and_page_by_twenty(bill: CostData) -> None:
    with pytest.raises(ValueError, match="future dates can't be used as an End date"):
        report(bill, "GetSavingsPlansCoverage", [PROD], "2026-11-01", "2026-12-01")
    first = report(bill, "GetSavingsPlansCoverage", [PROD], "2026-10-01", "2026-11-01", "DAILY")
    assert len(first["SavingsPlansCoverages"]) == 20 and first["NextToken"] == "20"
    rest = bill.commitments(PAYER, "GetSavingsPlansCoverage", {
        "TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}, "Granularity": "DAILY", "NextToken": "20",
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}}})
    assert len(rest["SavingsPlansCoverages"]) == 11 and "NextToken" not in rest


def test_the_forecast_is_the_rest_of_the_month_at_its_pace(bill: CostData) -> None:
    so_far = sums(ask(bill, "2026-11-01", "2026-12-01", [("DIMENSION", "LINKED_ACCOUNT")]), "UnblendedCost",
                  lambda keys: keys == [PROD])
    ahead = D(bill.forecast(PAYER, {"TimePeriod": {"Start": "2026-11-29", "End": "2026-12-01"},
                                    "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}}})
              ["Total"]["Amount"])
    assert ahead == (so_far * 2 / 28).quantize(D("0.0001"))  # 28 days so far, 2 to come


def test_on_the_first_of_the_month_the_forecast_is_at_the_previous_months_pace() -> None:
    """The first day holds no days yet (the bill has the days before today): the forecast is the whole
    month at the pace of the month before, as AWS forecasts from history, not nothing."""
    data = CostData()
    data.seed(PAYER, {PAYER: 0.4, DEV: 1.5, STAGE: 2.0, PROD: 5.0}, 13, {}, date(2026, 12, 1))
    assert ask(data, "2026-12-01", "2027-01-01", [("DIMENSION", "LINKED_ACCOUNT")])[0]["Groups"] == []
    november = sums(ask(data, "2026-11-01", "2026-12-01", [("DIMENSION", "LINKED_ACCOUNT")]), "UnblendedCost",
                    lambda keys: keys == [PROD])
    ahead = D(data.forecast(PAYER, {"TimePeriod": {"Start": "2026-12-01", "End": "2027-01-01"},
                                    "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}}})
              ["Total"]["Amount"])
    assert november > 0 and ahead == (november * 31 / 30).quantize(D("0.0001"))  # November's 30 days, December's 31


def test_the_seed_pins_the_bills_day_from_awsroles_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.org.parse import load_org
    from awsroles.sandbox import seed
    from tests.conftest import EXAMPLES

    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(seed, "sandbox_route", lambda _endpoint, route, body: sent.append(body))
    monkeypatch.setenv("AWSROLES_TODAY", "2026-11-29")
    seed.seed_costs("http://sandbox", load_org(EXAMPLES / "classic.ini"))
    monkeypatch.delenv("AWSROLES_TODAY")
    seed.seed_costs("http://sandbox", load_org(EXAMPLES / "classic.ini"))
    assert sent[0]["today"] == "2026-11-29" and "today" not in sent[1]
    assert sent[0]["categories"] == {DEV: "engineering", STAGE: "engineering", PROD: "product"}
    data = CostData()
    data.seed(PAYER, {PROD: 5.0}, 13, {}, date(2026, 11, 29))
    assert data.bills[PAYER].now().date() == date(2026, 11, 29)  # on any day the tests run
