"""The CUR 2.0, legacy CUR and FOCUS 1.0 schemas, and the one SQL that sums them, for DuckDB and Athena.

:func:`~awsroles.costs.cur_schema.schema_of` tells which export a set of columns comes from
(:mod:`awsroles.costs.cur_schema`); :class:`CurSql` builds the query
that returns one row per billing month (or day), usage account, record type (and group of
``--by``), with exact decimal amounts, and the query of the Savings Plans and Reserved Instance
figures (:func:`awsroles.costs.cur_commitments.commitments_query`). Amortization follows AWS's
Cloud Intelligence Dashboards (CUDOS): see ``CurSql._amortized``, the one place where it is decided.

Cost allocation tags and cost categories, as each export names them (AWS Data Exports User Guide,
"Resource tags columns" and "Cost category columns"; FOCUS 1.0 "Tags"):

- CUR 2.0: the map columns ``resource_tags`` (user tags under ``user_<key>``, the key in snake
  case as AWS writes it: ``CostCenter`` -> ``user_cost_center``) and ``cost_category`` (by name);
  a CSV export holds each map as JSON text.
- legacy CUR: a column per tag, ``resourceTags/user:<key>`` (CSV) or ``resource_tags_user_<key>``
  (Parquet, snake case), and per cost category, ``costCategory/<name>`` or ``cost_category_<name>``.
- FOCUS: ``Tags`` (JSON, the key as the user wrote it) and AWS's ``x_CostCategories``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import UsageError
from .cur_schema import COLUMNS, Source
from .model import AWS, GRANULARITIES, METRICS, By

DECIMAL = "DECIMAL(38, 10)"  # exact money: every amount is cast before it is summed, never summed as float

# The SQL. One builder for DuckDB and Athena (Trino): only functions both dialects share.
# ---------------------------------------------------------------------------------------------


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class CurSql:
    def __init__(self, source: Source, *, narrow: bool = False) -> None:
        self.source = source
        self.narrow = narrow

    def col(self, key: str) -> str | None:
        name = self.source.columns.get(key)
        return quote(name) if name else None

    def text(self, key: str) -> str:
        """The column as text, '' when absent or null."""
        col = self.col(key)
        return f"COALESCE(CAST({col} AS VARCHAR), '')" if col else "''"

    @property
    def units(self) -> bool:
        """DuckDB sums money as whole units of 10^-10 (sums are HUGEINT), not as DECIMAL(38, 10): the same exact
        figures, twice as fast (a double is rounded to ten decimals either way, as the cast does). Athena
        sums DECIMAL(38, 10). :meth:`total` turns a sum back into DECIMAL(38, 10)."""
        return self.source.dialect == "duckdb"

    @property
    def line_int(self) -> str:
        """The integer type of one line's amount in units: BIGINT when :attr:`narrow` (fast; a double
        of 922,337,203 or more does not fit and the query fails with a ConversionException: the reader
        then runs it again wide), else HUGEINT. Sums are HUGEINT either way (DuckDB sums BIGINT so)."""
        return "BIGINT" if self.narrow else "HUGEINT"

    def zero(self) -> str:
        return f"CAST(0 AS {self.line_int})" if self.units else f"CAST(0 AS {DECIMAL})"

    def money(self, key: str, *, fallback: str | None = None) -> str:
        """The column as an exact amount (0 when absent or null), per line: ten decimals, in units of
        10^-10 for DuckDB (:attr:`units`); ``fallback`` when the column is absent."""
        col = self.col(key)
        if col is None:
            return self.money(fallback) if fallback else self.zero()
        if self.source.text:
            col = f"NULLIF(TRIM({col}), '')"
        if not self.units:
            return f"COALESCE(CAST({col} AS {DECIMAL}), CAST(0 AS {DECIMAL}))"
        kind = self.source.types.get(self.source.columns[key], "").upper()
        if not self.source.text and kind in ("DOUBLE", "FLOAT", "REAL"):
            # The cast to DECIMAL(38, 10) rounds value * 10^10 to the nearest integer: the same, done directly.
            value = f"CAST(round({col} * 10000000000.0) AS {self.line_int})"
        else:  # text, DECIMAL, integers: exact through DECIMAL(38, 10)
            value = f"CAST(CAST({col} AS {DECIMAL}) * 10000000000 AS HUGEINT)"
        return f"COALESCE({value}, {self.zero()})"

    def total(self, sql: str) -> str:
        """A sum of :meth:`money` amounts as DECIMAL(38, 10)."""
        if not self.units:
            return sql
        return f"(CAST({sql} AS DECIMAL(38, 0)) * CAST(0.0000000001 AS {DECIMAL}))"

    def month(self) -> str:
        # Timestamps ('2026-10-01 00:00:00') and ISO text ('2026-10-01T00:00:00Z') both start with YYYY-MM.
        return f"substr(CAST({self.col('month')} AS VARCHAR), 1, 7)"

    def in_months(self, months: Sequence[str]) -> str:
        """The condition "the line's billing month is one of ``months``". On a timestamp or date column,
        ranges (cheap per line, and the scan skips row groups by their statistics); on text, the prefix."""
        checked = [check_month(m) for m in months]
        kind = self.source.types.get(self.source.columns["month"], "").upper()
        if self.source.text or kind not in ("TIMESTAMP", "DATE") or self.source.dialect != "duckdb":
            return f"{self.month()} IN ({', '.join(literal(m) for m in checked)})"
        col = self.col("month")
        ranges = []
        for m in checked:
            year, number = int(m[:4]), int(m[5:])
            after = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
            ranges.append(f"({col} >= TIMESTAMP '{m}-01 00:00:00' AND {col} < TIMESTAMP '{after}-01 00:00:00')")
        return "(" + " OR ".join(ranges) + ")"

    def amount(self, metric: str) -> str:
        if metric == "blended":
            return self.money("blended")  # checked: FOCUS has no blended cost (blended_refusal)
        if self.source.schema == "focus":
            # FOCUS: BilledCost is the invoice view, EffectiveCost the amortized one. FOCUS 1.0 has no net
            # columns: its costs are already net of discounts (BilledCost after negotiated discounts).
            return self.money("billed" if metric in ("unblended", "net-unblended") else "effective")
        net = metric.startswith("net-")
        if metric in ("unblended", "net-unblended"):
            return self.money("net_unblended" if net else "unblended")
        return self._amortized(net)

    def _amortized(self, net: bool) -> str:
        """Amortized cost per line item, exactly as AWS's Cloud Intelligence Dashboards (CUDOS) compute it.

        The ``amortized_cost`` / ``net_amortized_cost`` CASE of the CUDOS ``summary_view``
        (github.com/aws-samples/aws-cudos-framework-deployment, cid/builtin/core/data/queries/cid/):

          SavingsPlanCoveredUsage -> savings_plan_savings_plan_effective_cost
          SavingsPlanRecurringFee -> savings_plan_total_commitment_to_date - savings_plan_used_commitment
                                     (the unused part of the commitment)
          SavingsPlanNegation     -> 0   (the on-demand cost the Savings Plan replaced)
          SavingsPlanUpfrontFee   -> 0   (already amortized into the effective costs)
          DiscountedUsage         -> reservation_effective_cost
          RIFee                   -> reservation_unused_amortized_upfront_fee_for_billing_period
                                     + reservation_unused_recurring_fee (the unused part of the RI)
          Fee with a reservation ARN (an RI's upfront fee) -> 0
          anything else           -> line_item_unblended_cost

        The net variant uses the ``net_*`` columns where the export has them (they exist only for
        accounts with discounts), else the gross ones, as CUDOS does.
        """
        t = self.col("type")
        n = "net_" if net else ""
        base = "net_unblended" if net else "unblended"
        arn = self.text("ri_arn")
        return (
            f"CASE {t}"
            f" WHEN 'SavingsPlanCoveredUsage' THEN {self.money(f'sp_{n}effective', fallback='sp_effective')}"
            f" WHEN 'SavingsPlanRecurringFee' THEN {self.money('sp_total_commitment')}"
            f" - {self.money('sp_used_commitment')}"
            f" WHEN 'SavingsPlanNegation' THEN {self.zero()}"
            f" WHEN 'SavingsPlanUpfrontFee' THEN {self.zero()}"
            f" WHEN 'DiscountedUsage' THEN {self.money(f'ri_{n}effective', fallback='ri_effective')}"
            f" WHEN 'RIFee' THEN {self.money(f'ri_{n}unused_upfront', fallback='ri_unused_upfront')}"
            f" + {self.money(f'ri_{n}unused_recurring', fallback='ri_unused_recurring')}"
            f" WHEN 'Fee' THEN CASE WHEN {arn} <> '' THEN {self.zero()} ELSE {self.money(base)} END"
            f" ELSE {self.money(base)} END"
        )

    def record_type(self, grouped_fee: bool = False) -> str:
        """The record type, as the source spells it (categories.TABLE puts every spelling in its column),
        except the kinds only other columns tell apart, named with a spelling from that table:

        - CUR: ``RIFee`` -> ``Recurring reservation fee``, a ``Fee`` with a reservation ARN (an RI's
          upfront fee) -> ``Upfront reservation fee``, a ``Fee`` of an AWS Support product -> ``Support``
          (Cost Explorer's names);
        - FOCUS: a ``Correction`` (ChargeClass) -> ``Refund``, ``Usage`` covered by a Savings Plan or a
          Reservation (CommitmentDiscountType) -> ``SavingsPlanCoveredUsage`` / ``DiscountedUsage``, a
          ``Purchase`` of AWS Support -> ``Support``; the other ChargeCategory values stay as they are.
        """
        if self.source.schema == "focus":
            category = self.text("category")
            klass = self.text("charge_class")
            commitment = self.text("commitment_type")
            service = self.text("service")
            return (
                f"CASE WHEN {category} = 'Tax' THEN 'Tax'"
                f" WHEN {klass} = 'Correction' THEN 'Refund'"
                f" WHEN {category} = 'Usage' AND {commitment} = 'Savings Plan' THEN 'SavingsPlanCoveredUsage'"
                f" WHEN {category} = 'Usage' AND {commitment} = 'Reservation' THEN 'DiscountedUsage'"
                f" WHEN {category} = 'Purchase' AND {service} LIKE 'AWS Support%' THEN 'Support'"
                f" ELSE {category} END"
            )
        t = self.col("type")
        if not grouped_fee:
            code = self.text("product_code")
            return (
                f"CASE WHEN {t} = 'RIFee' THEN 'Recurring reservation fee'"
                f" WHEN {t} = 'Fee' AND {self.text('ri_arn')} <> '' THEN 'Upfront reservation fee'"
                f" WHEN {t} = 'Fee' AND {code} LIKE 'AWSSupport%' THEN 'Support'"
                f" ELSE COALESCE(CAST({t} AS VARCHAR), '') END"
            )
        return (
            f"CASE WHEN {t} = 'RIFee' THEN 'Recurring reservation fee'"
            " WHEN awsroles_fee = 'reservation' THEN 'Upfront reservation fee'"
            " WHEN awsroles_fee = 'support' THEN 'Support'"
            f" ELSE COALESCE(CAST({t} AS VARCHAR), '') END"
        )

    def fee_kind(self) -> str:
        """Per line of a CUR: what tells its Fee apart (:meth:`record_type`): 'reservation' (an RI's
        upfront fee), 'support' (AWS Support), else ''; '' for every other type."""
        t = self.col("type")
        return (f"CASE WHEN {t} = 'Fee' THEN (CASE WHEN {self.text('ri_arn')} <> '' THEN 'reservation'"
                f" WHEN {self.text('product_code')} LIKE 'AWSSupport%' THEN 'support' ELSE '' END) ELSE '' END")

    def account(self) -> str:
        """The usage account. CUR: AWS account ids, 12 digits (CSV and some Parquet writers lose the
        leading zeros). FOCUS: the SubAccountId as it is (an Azure subscription GUID, an OCI tenancy
        OCID are not cut), else the BillingAccountId; :func:`cost_lines` pads AWS's."""
        if self.source.schema == "focus":
            return f"COALESCE(NULLIF({self.text('account')}, ''), {self.text('billing_account')})"
        return f"lpad({self.text('account')}, 12, '0')"

    def provider(self) -> str:
        """FOCUS: the ProviderName (ServiceProviderName in FOCUS 1.3); a CUR holds AWS costs only."""
        if self.source.schema == "focus":
            return f"COALESCE(NULLIF({self.text('provider')}, ''), {self.text('service_provider')})"
        return f"'{AWS}'"

    def service(self) -> str:
        """The service: FOCUS's ServiceName; the CUR's product name, else its service code
        (``product_servicecode``), else the line's product code."""
        if self.source.schema == "focus":
            return self.text("service")
        names = [self.text(k) for k in ("product_name", "service_code") if self.col(k)]
        return "COALESCE(" + ", ".join(f"NULLIF({n}, '')" for n in names) + f", {self.text('product_code')})" \
            if names else self.text("product_code")

    # -- --by tag:KEY and category:NAME ---------------------------------------------------------

    def _column(self, *candidates: str) -> str | None:
        """The first of ``candidates`` (matched case-insensitively) the export has, quoted."""
        actual = {n.lower(): n for n in self.source.types}
        for candidate in candidates:
            if candidate.lower() in actual:
                return quote(actual[candidate.lower()])
        return None

    def _lookup(self, column: str, keys: Sequence[str]) -> str:
        """The first of ``keys`` found in a map column, or in JSON text (a CSV export's maps)."""
        name = next((n for n in self.source.types if quote(n) == column), "")
        kind = self.source.types.get(name, "").upper()
        parts = []
        for key in dict.fromkeys(keys):
            if kind.startswith("MAP"):
                if self.source.dialect == "athena":
                    parts.append(f"element_at({column}, {literal(key)})")
                else:  # the value at the key's position: cheaper than map_extract_value (measured in
                    # docs/benchmarks.md), the same NULL for a missing key, and in every DuckDB since 1.1
                    parts.append(f"map_values({column})[list_position(map_keys({column}), {literal(key)})]")
            elif self.source.dialect == "athena":
                parts.append(f"json_extract_scalar({column}, {literal('$[' + json_key(key) + ']')})")
            else:
                parts.append(f"json_extract_string({column}, {literal('$.' + json_key(key))})")
        return f"COALESCE({', '.join(parts)})" if len(parts) > 1 else parts[0]

    def group_value(self, by: By) -> str | None:
        """The value of the tag or cost category ``by`` names, per line, as the export holds it (NULL or ''
        where it has none; the query makes both ``by.missing``); None when the export has no column for
        it at all (every line is then untagged)."""
        schema, key = self.source.schema, by.key
        if by.kind == "tag":
            if schema == "legacy":
                column = self._column(f"resourceTags/user:{key}", f"resource_tags_user_{snake(key)}")
                return column
            column = self._column(COLUMNS[schema]["tags"])
            keys = [key, f"user:{key}"] if schema == "focus" else [f"user_{key}", f"user_{snake(key)}"]
        else:
            if schema == "legacy":
                column = self._column(f"costCategory/{key}", f"cost_category_{snake(key)}")
                return column
            column = self._column(COLUMNS[schema]["cost_categories"])
            keys = [key, snake(key)]
        return self._lookup(column, keys) if column else None

    # -- the cost query ------------------------------------------------------------------------

    def day(self) -> str:
        """The day a line's usage starts (CUR) or its charge period starts (FOCUS), per line: a DATE from
        a timestamp, the first ten characters of text."""
        col = self.col("usage_start")
        if col is None:
            return "CAST(NULL AS VARCHAR)"
        return f"substr(CAST({col} AS VARCHAR), 1, 10)" if self.source.text else f"CAST({col} AS DATE)"

    def query(self, table: str, months: Sequence[str], metric: str, by: By | None = None,
              granularity: str = "monthly", partition: str | None = None) -> str:
        """Two levels, for speed: the inner query does only per-row work that cannot wait (the amount, a
        tag's value, the day) and groups by the raw key columns, which have few distinct values; the
        outer one formats months and days, names record types and groups on those few groups, filters
        months, and sums again."""
        if granularity not in GRANULARITIES:
            raise UsageError(f"unknown granularity {granularity!r}: expected one of {', '.join(GRANULARITIES)}")
        needed = ["month", "account", "currency", "invoice"]
        if self.source.schema == "focus":
            needed += ["billing_account", "provider", "service_provider", "category", "charge_class",
                       "commitment_type", "service"]
        else:
            needed += ["type"]
            if by is not None and by.kind == "service":
                needed += ["ri_arn", "product_code", "product_name", "service_code"]
        keys = [k for k in needed if k in self.source.columns and k != "invoice"]
        inner_cols = []
        for key in keys:
            col = quote(self.source.columns[key])
            # The reservation ARN only matters as present / absent: keep one group, not one per RI.
            inner_cols.append(f"CASE WHEN {self.text(key)} <> '' THEN 'x' ELSE '' END AS {col}"
                              if key == "ri_arn" else col)
        extra = []
        if self.source.schema != "focus" and "ri_arn" not in keys:
            # What the record type needs of a Fee's ARN and product, as one small key (fewer groups).
            extra.append(f"{self.fee_kind()} AS awsroles_fee")
        value = self.group_value(by) if by is not None and by.kind in ("tag", "category") else None
        if value is not None:
            extra.append(f"{value} AS awsroles_group")
        if granularity == "daily":
            extra.append(f"{self.day()} AS awsroles_day")
        open_sql = f"({self.text('invoice')} = '')" if self.col("invoice") else "false"
        inner_where = ""
        if partition and months:
            inner_where = f"WHERE {quote(partition)} IN ({', '.join(repr(check_month(m)) for m in months)})"
        inner = (f"SELECT {', '.join([*inner_cols, *extra])}, SUM({self.amount(metric)}) AS amount,"
                 f" bool_or({open_sql}) AS open FROM {table} {inner_where}"
                 f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys) + len(extra)))}")
        currency = self.col("currency")
        currency_sql = f"COALESCE(NULLIF(CAST({currency} AS VARCHAR), ''), 'USD')" if currency else "'USD'"
        where = ""
        if months:
            where = f"WHERE {self.in_months(months)}"
        if by is None or by.kind == "account":
            group = "''"
        elif by.kind == "service":
            group = self.service()
        else:
            group = (f"COALESCE(NULLIF(CAST(awsroles_group AS VARCHAR), ''), {literal(by.missing)})"
                     if value is not None else literal(by.missing))
        period = self.month()
        if granularity == "daily":  # a usage day outside its billing month (never seen) counts on the month's first
            day = "substr(CAST(awsroles_day AS VARCHAR), 1, 10)"
            period = f"CASE WHEN substr({day}, 1, 7) = {period} THEN {day} ELSE {period} || '-01' END"
        return (
            f"SELECT {period} AS month,"
            f" {self.account()} AS account_id,"
            f" {self.record_type(grouped_fee=any('AS awsroles_fee' in e for e in extra))} AS record_type,"
            f" {group} AS service,"
            f" {currency_sql} AS currency,"
            f" {self.provider()} AS provider,"
            f" {self.total('SUM(amount)')} AS amount, bool_or(open) AS open"
            f" FROM ({inner}) AS grouped {where}"
            " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
        )


def snake(name: str) -> str:
    """A tag key or cost category name as AWS writes it in snake case: ``CostCenter`` -> ``cost_center``,
    ``karpenter.sh/nodepool`` -> ``karpenter_sh_nodepool``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_key(key: str) -> str:
    """A JSON path member for any key (dots, colons, slashes): ``"user:team"``."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_month(month: str) -> str:
    ok = len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit()
    if not ok or not 1 <= int(month[5:]) <= 12:
        raise UsageError(f"bad month {month!r}: expected YYYY-MM")
    return month


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}: expected one of {', '.join(METRICS)}")
