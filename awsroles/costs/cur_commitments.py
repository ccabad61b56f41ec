"""The CUR query of the Savings Plans and Reserved Instance figures: what
:mod:`awsroles.costs.commitments` makes coverage, utilization and savings of, from the columns
:class:`~awsroles.costs.cur_sql.CurSql` names (CUR 2.0 or legacy CUR; FOCUS is refused before).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UsageError
from .cur_sql import CurSql, check_month, quote
from .model import GRANULARITIES

COMMITMENT_COLUMNS = ("sp_covered", "sp_on_demand", "ri_hours", "ri_on_demand_hours", "ri_public", "sp_commitment",
                      "sp_used", "ri_fee", "ri_purchased_hours", "ri_unused_hours")


def commitments_query(sql: CurSql, table: str, months: Sequence[str], granularity: str = "monthly",
                      partition: str | None = None) -> str:
    """Per period, usage account and commitment owner, the sums :mod:`awsroles.costs.commitments`
    makes coverage, utilization and savings of (a CUR 2.0 or legacy CUR export: FOCUS is refused
    before). The owner is the account in the Savings Plan's or the reservation's ARN (the fifth
    field), for covered usage; fees are their owner's own lines.

    Columns after (period, account, owner): ``sp_covered`` (the unblended, on-demand cost of
    SavingsPlanCoveredUsage), ``sp_on_demand`` (on-demand Usage a Compute Savings Plan could cover:
    CUDOS's ``compute_savings_plan_eligible_spend``: EC2 RunInstances, Lambda duration and
    provisioned concurrency, Fargate; not Spot, not data transfer), ``ri_hours`` and
    ``ri_on_demand_hours`` (EC2 instance hours, BoxUsage/DedicatedUsage, run under a reservation
    and on demand), ``ri_public`` (pricing_public_on_demand_cost of the EC2 DiscountedUsage),
    ``sp_commitment`` and ``sp_used`` (savings_plan_total_commitment_to_date and
    savings_plan_used_commitment of SavingsPlanRecurringFee), ``ri_fee`` (an EC2 RIFee's recurring
    fee plus its amortized upfront fee for the period), ``ri_purchased_hours`` and
    ``ri_unused_hours`` (reservation_total_reserved_units and reservation_unused_quantity of RIFee).
    """
    if granularity not in GRANULARITIES:
        raise UsageError(f"unknown granularity {granularity!r}: expected one of {', '.join(GRANULARITIES)}")
    t = sql.text("type")
    code, usage_type, operation = sql.text("product_code"), sql.text("usage_type"), sql.text("operation")
    ec2 = f"{code} = 'AmazonEC2'"
    hours = f"({usage_type} LIKE '%BoxUsage%' OR {usage_type} LIKE '%DedicatedUsage%')"
    eligible = (f"{usage_type} NOT LIKE '%Spot%' AND {sql.text('service_code')} <> 'AWSDataTransfer'"
                f" AND {usage_type} NOT LIKE '%DataXfer%' AND (({ec2} AND {operation} LIKE '%RunInstances%')"
                f" OR ({code} = 'AWSLambda' AND ({usage_type} LIKE '%Lambda-Provisioned-GB-Second%'"
                f" OR {usage_type} LIKE '%Lambda-GB-Second%'"
                f" OR {usage_type} LIKE '%Lambda-Provisioned-Concurrency%'))"
                f" OR {usage_type} LIKE '%Fargate%')")
    zero = sql.zero()

    def when(condition: str, value: str) -> str:
        return sql.total(f"SUM(CASE WHEN {condition} THEN {value} ELSE {zero} END)")

    # Two levels, as the cost query: the inner one only sums the money and hours columns per raw key
    # (few distinct values: types, products, usage types, operations, plans, reservations); the outer
    # one tells covered from eligible, and owners, on those few groups.
    owner = (f"CASE WHEN {t} = 'SavingsPlanCoveredUsage' THEN split_part({sql.text('sp_arn')}, ':', 5)"
             f" WHEN {t} = 'DiscountedUsage' AND {ec2} THEN split_part({sql.text('ri_arn')}, ':', 5)"
             " ELSE '' END")
    sums = [
        when(f"{t} = 'SavingsPlanCoveredUsage'", "s_unblended"),
        when(f"{t} = 'Usage' AND {eligible}", "s_unblended"),
        when(f"{t} = 'DiscountedUsage' AND {ec2} AND {hours}", "s_usage_amount"),
        when(f"{t} = 'Usage' AND {ec2} AND {hours}", "s_usage_amount"),
        when(f"{t} = 'DiscountedUsage' AND {ec2}", "s_public_cost"),
        when(f"{t} = 'SavingsPlanRecurringFee'", "s_sp_total_commitment"),
        when(f"{t} = 'SavingsPlanRecurringFee'", "s_sp_used_commitment"),
        when(f"{t} = 'RIFee' AND {ec2}", "s_unblended + s_ri_upfront_period"),
        when(f"{t} = 'RIFee' AND {ec2}", "s_ri_reserved_units"),
        when(f"{t} = 'RIFee' AND {ec2}", "s_ri_unused_quantity"),
    ]
    keys = [quote(sql.source.columns[k]) for k in ("month", "account", "type", "product_code", "usage_type",
                                                     "operation", "service_code", "sp_arn", "ri_arn")
            if k in sql.source.columns]
    if granularity == "daily":
        keys.append(f"{sql.day()} AS awsroles_day")
    amounts = ("unblended", "usage_amount", "public_cost", "sp_total_commitment", "sp_used_commitment",
               "ri_upfront_period", "ri_reserved_units", "ri_unused_quantity")
    types = ("'SavingsPlanCoveredUsage', 'Usage', 'DiscountedUsage', 'SavingsPlanRecurringFee', 'RIFee'")
    where = [f"{quote(sql.source.columns['type'])} IN ({types})"]
    if partition and months:
        where.append(f"{quote(partition)} IN ({', '.join(repr(check_month(m)) for m in months)})")
    inner = (f"SELECT {', '.join(keys)}, {', '.join(f'SUM({sql.money(a)}) AS s_{a}' for a in amounts)}"
             f" FROM {table} WHERE {' AND '.join(where)}"
             f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}")
    period = sql.month()
    if granularity == "daily":
        day = "substr(CAST(awsroles_day AS VARCHAR), 1, 10)"
        period = f"CASE WHEN substr({day}, 1, 7) = {period} THEN {day} ELSE {period} || '-01' END"
    outer_where = ""
    if months:
        outer_where = f"WHERE {sql.in_months(months)}"
    return (f"SELECT {period} AS period, {sql.account()} AS account_id, {owner} AS owner,"
            f" {', '.join(f'{sql} AS {name}' for sql, name in zip(sums, COMMITMENT_COLUMNS, strict=True))}"
            f" FROM ({inner}) AS grouped {outer_where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
