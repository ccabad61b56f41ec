"""Which billing export a table is (CUR 2.0, legacy CUR or FOCUS 1.0), and each one's columns by
logical name (:func:`schema_of`, :class:`Source`); the SQL over them is :mod:`awsroles.costs.cur_sql`'s."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..errors import UsageError

Schema = Literal["cur2", "legacy", "focus"]

# Logical column -> the column's name in each schema (matched case-insensitively).
CUR2_COLUMNS = {
    "month": "bill_billing_period_start_date",
    "account": "line_item_usage_account_id",
    "type": "line_item_line_item_type",
    "unblended": "line_item_unblended_cost",
    "net_unblended": "line_item_net_unblended_cost",
    "blended": "line_item_blended_cost",
    "product_code": "line_item_product_code",
    "product_name": "product_product_name",
    "service_code": "product_servicecode",
    "currency": "line_item_currency_code",
    "invoice": "bill_invoice_id",
    "usage_start": "line_item_usage_start_date",
    "usage_amount": "line_item_usage_amount",
    "usage_type": "line_item_usage_type",
    "operation": "line_item_operation",
    "public_cost": "pricing_public_on_demand_cost",
    "sp_arn": "savings_plan_savings_plan_a_r_n",
    "ri_upfront_period": "reservation_amortized_upfront_fee_for_billing_period",
    "ri_reserved_units": "reservation_total_reserved_units",
    "ri_unused_quantity": "reservation_unused_quantity",
    "tags": "resource_tags",
    "cost_categories": "cost_category",
    "sp_effective": "savings_plan_savings_plan_effective_cost",
    "sp_net_effective": "savings_plan_net_savings_plan_effective_cost",
    "sp_total_commitment": "savings_plan_total_commitment_to_date",
    "sp_used_commitment": "savings_plan_used_commitment",
    "ri_effective": "reservation_effective_cost",
    "ri_net_effective": "reservation_net_effective_cost",
    "ri_unused_upfront": "reservation_unused_amortized_upfront_fee_for_billing_period",
    "ri_net_unused_upfront": "reservation_net_unused_amortized_upfront_fee_for_billing_period",
    "ri_unused_recurring": "reservation_unused_recurring_fee",
    "ri_net_unused_recurring": "reservation_net_unused_recurring_fee",
    "ri_arn": "reservation_reservation_a_r_n",
}
_CUR_LEGACY = {
    "month": "bill/BillingPeriodStartDate",
    "account": "lineItem/UsageAccountId",
    "type": "lineItem/LineItemType",
    "unblended": "lineItem/UnblendedCost",
    "net_unblended": "lineItem/NetUnblendedCost",
    "blended": "lineItem/BlendedCost",
    "product_code": "lineItem/ProductCode",
    "product_name": "product/ProductName",
    "service_code": "product/servicecode",
    "currency": "lineItem/CurrencyCode",
    "invoice": "bill/InvoiceId",
    "usage_start": "lineItem/UsageStartDate",
    "usage_amount": "lineItem/UsageAmount",
    "usage_type": "lineItem/UsageType",
    "operation": "lineItem/Operation",
    "public_cost": "pricing/publicOnDemandCost",
    "sp_arn": "savingsPlan/SavingsPlanARN",
    "ri_upfront_period": "reservation/AmortizedUpfrontFeeForBillingPeriod",
    "ri_reserved_units": "reservation/TotalReservedUnits",
    "ri_unused_quantity": "reservation/UnusedQuantity",
    "sp_effective": "savingsPlan/SavingsPlanEffectiveCost",
    "sp_net_effective": "savingsPlan/NetSavingsPlanEffectiveCost",
    "sp_total_commitment": "savingsPlan/TotalCommitmentToDate",
    "sp_used_commitment": "savingsPlan/UsedCommitment",
    "ri_effective": "reservation/EffectiveCost",
    "ri_net_effective": "reservation/NetEffectiveCost",
    "ri_unused_upfront": "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "ri_net_unused_upfront": "reservation/NetUnusedAmortizedUpfrontFeeForBillingPeriod",
    "ri_unused_recurring": "reservation/UnusedRecurringFee",
    "ri_net_unused_recurring": "reservation/NetUnusedRecurringFee",
    "ri_arn": "reservation/ReservationARN",
}
_FOCUS = {
    "month": "BillingPeriodStart",
    "account": "SubAccountId",
    "billing_account": "BillingAccountId",  # rows without a sub account (FOCUS allows SubAccountId null)
    "provider": "ProviderName",  # FOCUS 1.0-1.2; 1.3 adds ServiceProviderName
    "service_provider": "ServiceProviderName",
    "category": "ChargeCategory",
    "charge_class": "ChargeClass",
    "billed": "BilledCost",
    "effective": "EffectiveCost",
    "service": "ServiceName",
    "currency": "BillingCurrency",
    "commitment_type": "CommitmentDiscountType",
    "usage_start": "ChargePeriodStart",
    "tags": "Tags",
    "cost_categories": "x_CostCategories",  # AWS's FOCUS 1.0 export
}
REQUIRED: dict[Schema, tuple[str, ...]] = {
    "cur2": ("month", "account", "type", "unblended"),
    "legacy": ("month", "account", "type", "unblended"),
    "focus": ("month", "account", "category", "billed", "effective"),
}
COLUMNS: dict[Schema, dict[str, str]] = {"cur2": CUR2_COLUMNS, "legacy": _CUR_LEGACY, "focus": _FOCUS}



@dataclass(frozen=True)
class Source:
    """What one export holds, as the SQL builder needs it."""

    schema: Schema
    columns: dict[str, str]  # logical name -> actual column name, only those present
    text: bool  # every column is text (CSV read with all_varchar)
    partition: str | None = None  # a hive partition column holding YYYY-MM (CUR 2.0: BILLING_PERIOD)
    types: dict[str, str] = field(default_factory=dict)  # every column's name -> its type (DuckDB's DESCRIBE)
    dialect: Literal["duckdb", "athena"] = "duckdb"  # Athena (Trino) reads maps with element_at


def schema_of(names: Iterable[str], where: str) -> tuple[Schema, dict[str, str]]:
    """Which export ``names`` (the column names) come from, and the logical -> actual column mapping."""
    actual = {n.lower(): n for n in names}
    found: dict[Schema, dict[str, str]] = {}
    for schema, mapping in COLUMNS.items():
        found[schema] = {k: actual[v.lower()] for k, v in mapping.items() if v.lower() in actual}
    for schema in ("legacy", "focus", "cur2"):  # legacy (slash names) first: unambiguous
        if all(k in found[schema] for k in REQUIRED[schema]):
            if schema == "cur2" and any(n.startswith("resource_tags_user_") for n in actual):
                return "legacy", found["cur2"]  # legacy CUR in Parquet (Athena) format: snake-case names
            return schema, found[schema]
    best: Schema = max(REQUIRED, key=lambda s: sum(k in found[s] for k in REQUIRED[s]))
    missing = [COLUMNS[best][k] for k in REQUIRED[best] if k not in found[best]]
    label = {"cur2": "CUR 2.0", "legacy": "legacy CUR", "focus": "FOCUS 1.0"}[best]
    raise UsageError(f"{where}: not a CUR 2.0, legacy CUR or FOCUS 1.0 export; closest is {label}, "
                     f"missing column(s): {', '.join(missing)}")
