"""The sandbox's synthetic bill (what :mod:`awsroles.sandbox.server.costs` answers Cost Explorer from).

The bill, per account of weight ``w`` and month (``g`` grows it 3% a month; the current month holds
the days before today): on-demand usage of five services at 1000 * w * g a month, spread evenly over
the days, each with a cost allocation tag ``team`` (EC2 and Lambda ``backend``, RDS ``data``, S3
``platform``, CloudWatch untagged); an Enterprise Discount Program discount of 3% of usage; for
accounts of weight 2 or more a Compute Savings Plan (bought by the payer) covering 60% of their EC2
(SavingsPlanCoveredUsage and its SavingsPlanNegation; the payer's SavingsPlanRecurringFee of a
commitment 0.75 of the covered on-demand cost, 96% used) and a private rate discount of 2% of RDS;
for accounts of weight 3 or more an EC2 Reserved Instance of their own covering 10% of their EC2
(DiscountedUsage at 40% off, an RIFee for hours 90% used); on the first day of the month tax (8%),
a credit every fourth month, a refund every sixth (the payer) and Business support (3%, the payer).
Every account has the cost category ``CostCenter`` the seed gives it (or none). Amounts are exact
to 1/10000 (Decimal), so each view adds up exactly to every other.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from awsroles.sandbox.server import clock

D = Decimal
Q = D("0.0001")
ZERO = D(0)
EC2 = "Amazon Elastic Compute Cloud - Compute"
RDS = "Amazon Relational Database Service"
LAMBDA = "AWS Lambda"
# service, share of the account's usage, its team tag, eligible for a Compute Savings Plan
_SERVICES = ((EC2, D("0.55"), "backend"), (RDS, D("0.20"), "data"), ("Amazon Simple Storage Service", D("0.10"),
             "platform"), (LAMBDA, D("0.05"), "backend"), ("AmazonCloudWatch", D("0.10"), ""))
SP_COVERED = D("0.6")  # of EC2, in accounts of weight >= 2
SP_EFFECTIVE = D("0.72")  # the Savings Plan rate against on demand
SP_COMMITMENT = D("0.75")  # the commitment against the covered on-demand cost: 96% used
RI_COVERED = D("0.1")  # of EC2, in accounts of weight >= 3
RI_EFFECTIVE = D("0.6")  # the reservation's rate against on demand
RI_USED = D("0.9")  # of the reserved hours
HOURLY = D("0.10")  # the on-demand price of one EC2 instance hour
EDP, PRIVATE_RATE, TAX, SUPPORT, CREDIT = D("0.03"), D("0.02"), D("0.08"), D("0.03"), D("0.05")
METRICS = ("UnblendedCost", "AmortizedCost", "BlendedCost", "NetUnblendedCost", "NetAmortizedCost")
TAG_KEY = "team"
CATEGORY = "CostCenter"


def q(value: Decimal) -> Decimal:
    return value.quantize(Q)


@dataclass(frozen=True)
class Line:
    """One amount of the bill: a day, an account, a record type (Cost Explorer's spelling), a service,
    the team tag, and its amount in every metric."""

    day: str
    account: str
    record_type: str
    service: str
    team: str
    metrics: dict[str, Decimal]


@dataclass
class Commitments:
    """One account's Savings Plans and reservation figures for one day (see GetSavingsPlansCoverage...)."""

    sp_covered: Decimal = ZERO  # on-demand cost of its usage a Savings Plan covered
    sp_on_demand: Decimal = ZERO  # its eligible usage left on demand (EC2, Lambda)
    ri_hours: Decimal = ZERO  # its EC2 hours a reservation covered
    ri_on_demand_hours: Decimal = ZERO  # its EC2 hours on demand
    sp_commitment: Decimal = ZERO  # the Savings Plans it owns: the commitment
    sp_used: Decimal = ZERO
    sp_on_demand_equivalent: Decimal = ZERO
    ri_purchased_hours: Decimal = ZERO  # the reservations it owns
    ri_used_hours: Decimal = ZERO
    ri_fee: Decimal = ZERO
    ri_on_demand_equivalent: Decimal = ZERO

    def add(self, other: Commitments) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _metrics(unblended: Decimal, *, amortized: Decimal | None = None, blended: Decimal | None = None,
             net: Decimal | None = None, net_amortized: Decimal | None = None) -> dict[str, Decimal]:
    amortized = unblended if amortized is None else amortized
    return {"UnblendedCost": unblended, "AmortizedCost": amortized,
            "BlendedCost": unblended if blended is None else blended,
            "NetUnblendedCost": unblended if net is None else net,
            "NetAmortizedCost": amortized if net_amortized is None else net_amortized}


@dataclass
class Bill:
    payer: str
    accounts: dict[str, float]
    months: int
    categories: dict[str, str] = field(default_factory=dict)  # account -> its CostCenter value
    today: date | None = None  # the bill's today, pinned ($AWSROLES_TODAY at seed time); else the clock

    def now(self) -> datetime:
        """The bill's now: its pinned day (plus the sandbox clock's advance), else the sandbox's time."""
        if self.today is not None:
            start = datetime(self.today.year, self.today.month, self.today.day, 12, tzinfo=timezone.utc)
            return start + timedelta(seconds=clock.sandbox_clock.offset)
        return datetime.fromtimestamp(clock.sandbox_time(), timezone.utc)

    def age(self, month: str) -> int:
        now = self.now()
        year, number = (int(x) for x in month.split("-"))
        return now.year * 12 + now.month - 1 - (year * 12 + number - 1)

    def days(self, month: str) -> list[str]:
        """The days of ``month`` the bill holds: all, or those before today in the current month."""
        year, number = (int(x) for x in month.split("-"))
        last = calendar.monthrange(year, number)[1]
        age = self.age(month)
        if age < 0 or age >= self.months:
            return []
        if age == 0:
            last = self.now().day - 1
        return [f"{month}-{d:02d}" for d in range(1, last + 1)]

    # -- the lines ---------------------------------------------------------------------------------

    def month_lines(self, month: str) -> tuple[list[Line], dict[tuple[str, str], Commitments]]:
        """Every line of ``month`` and every account's commitment figures per day."""
        days = self.days(month)
        if not days:
            return [], {}
        age = self.age(month)
        year, number = (int(x) for x in month.split("-"))
        in_month = calendar.monthrange(year, number)[1]
        growth = 1 + D(3) * (self.months - age) / 100
        lines: list[Line] = []
        figures: dict[tuple[str, str], Commitments] = {}
        for day in days:
            sp_owner = Commitments()
            for account, weight in sorted(self.accounts.items()):
                usage = D(1000) * D(str(weight)) * growth / in_month  # one day's on-demand usage
                lines.extend(self._day(day, account, D(str(weight)), usage, figures, sp_owner))
            payer = figures.setdefault((day, self.payer), Commitments())
            if sp_owner.sp_covered:
                commitment = q(sp_owner.sp_covered * SP_COMMITMENT)
                used = sp_owner.sp_used
                payer.sp_commitment += commitment
                payer.sp_used += used
                payer.sp_on_demand_equivalent += sp_owner.sp_covered
                lines.append(Line(day, self.payer, "SavingsPlanRecurringFee", "Savings Plans for AWS Compute usage",
                                  "", _metrics(commitment, amortized=commitment - used, blended=commitment,
                                               net=commitment, net_amortized=commitment - used)))
        lines.extend(self._monthly(month, days[0], age, lines))
        return lines, figures

    def _day(self, day: str, account: str, weight: Decimal, usage: Decimal,
             figures: dict[tuple[str, str], Commitments], sp_owner: Commitments) -> Iterable[Line]:
        mine = figures.setdefault((day, account), Commitments())
        for service, share, team in _SERVICES:
            amount = usage * share
            on_demand = amount
            if service == EC2 and weight >= 2:
                covered = q(amount * SP_COVERED)
                effective = q(covered * SP_EFFECTIVE)
                on_demand -= covered
                mine.sp_covered += covered
                sp_owner.sp_covered += covered
                sp_owner.sp_used += effective
                yield Line(day, account, "SavingsPlanCoveredUsage", service, team,
                           _metrics(covered, amortized=effective))
                yield Line(day, account, "SavingsPlanNegation", service, team,
                           _metrics(-covered, amortized=ZERO, net_amortized=ZERO))
            if service == EC2 and weight >= 3:
                reserved = q(amount * RI_COVERED)  # its on-demand equivalent
                on_demand -= reserved
                hours = reserved / HOURLY
                purchased = hours / RI_USED
                fee = q(purchased * HOURLY * RI_EFFECTIVE)
                effective = q(reserved * RI_EFFECTIVE)
                mine.ri_hours += hours
                mine.ri_purchased_hours += purchased
                mine.ri_used_hours += hours
                mine.ri_fee += fee
                mine.ri_on_demand_equivalent += reserved
                half = q(reserved / 2)
                yield Line(day, account, "DiscountedUsage", service, team,
                           _metrics(ZERO, amortized=effective, blended=half))
                yield Line(day, account, "RIFee", service, "",
                           _metrics(fee, amortized=fee - effective, blended=fee - half))
            on_demand = q(on_demand)
            discount = -q(on_demand * EDP)
            if service == RDS and weight >= 2:
                discount -= q(on_demand * PRIVATE_RATE)
            if service in (EC2, LAMBDA):
                mine.sp_on_demand += on_demand
            if service == EC2:
                mine.ri_on_demand_hours += on_demand / HOURLY
            yield Line(day, account, "Usage", service, team,
                       _metrics(on_demand, net=on_demand + discount, net_amortized=on_demand + discount))
            edp = -q(on_demand * EDP)
            yield Line(day, account, "Enterprise Discount Program Discount", service, team,
                       _metrics(edp, net=ZERO, net_amortized=ZERO))
            if discount != edp:
                yield Line(day, account, "Private Rate Card Discount", service, team,
                           _metrics(discount - edp, net=ZERO, net_amortized=ZERO))

    def _monthly(self, month: str, first: str, age: int, lines: list[Line]) -> Iterable[Line]:
        """Tax, credits, refunds and support: on the month's first day, from the month's other lines."""
        by_account: dict[str, Decimal] = {}
        ec2: dict[str, Decimal] = {}
        for line in lines:
            by_account[line.account] = by_account.get(line.account, ZERO) + line.metrics["UnblendedCost"]
            if line.record_type == "Usage" and line.service == EC2:
                ec2[line.account] = ec2.get(line.account, ZERO) + line.metrics["UnblendedCost"]
        out: list[Line] = []
        for account in sorted(by_account):
            out.append(Line(first, account, "Tax", "Tax", "", _metrics(q(by_account[account] * TAX))))
            if age % 4 == 1 and account in ec2:
                out.append(Line(first, account, "Credit", EC2, "", _metrics(-q(ec2[account] * CREDIT))))
        if age % 6 == 2:
            out.append(Line(first, self.payer, "Refund", "Amazon Simple Storage Service", "",
                            _metrics(D("-42.5"))))
        total = sum((line.metrics["UnblendedCost"] for line in [*lines, *out]), ZERO)
        out.append(Line(first, self.payer, "Support", "AWS Support (Business)", "", _metrics(q(total * SUPPORT))))
        return out

    # -- answers -----------------------------------------------------------------------------------

    def group_value(self, line: Line, key: tuple[str, str]) -> str:
        kind, name = key
        if kind == "TAG":
            return f"{name}${line.team if name == TAG_KEY else ''}"
        if kind == "COST_CATEGORY":
            return f"{name}${self.categories.get(line.account, '') if name == CATEGORY else ''}"
        return {"LINKED_ACCOUNT": line.account, "RECORD_TYPE": line.record_type, "SERVICE": line.service}.get(name, "")
