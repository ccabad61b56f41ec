"""plan and apply against moto in-process."""

from __future__ import annotations

import json

from awsroles.aws import Aws
from awsroles.org.model import Org
from awsroles.sync.engine import Engine


def test_first_plan_creates_everything_then_apply_converges(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    plan = engine.plan()
    summary = plan.as_dict()["summary"]
    assert summary["create"] > 0 and summary["update"] == 0 and summary["delete"] == 0
    kinds = {(c.account, c.kind, c.name) for c in plan.changes}
    assert ("dev", "role", "admin") in kinds and ("prod", "role", "admin") in kinds
    assert ("ops", "user", "alice") in kinds and ("ops", "group", "team-platform") in kinds
    result = engine.apply(plan)
    assert result.ok, result.as_dict()
    again = Engine(classic, ops_aws).plan()
    assert again.empty, json.dumps(again.as_dict(), indent=1)[:3000]
