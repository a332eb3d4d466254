"""CKV_AUTHZ_5: an API resource policy denies every call whose aws:SourceVpce is not ours.

The policy must be inline (jsonencode) and hold a Deny for Principal "*" on execute-api:Invoke
over the whole API, conditioned with StringNotEquals on aws:SourceVpce with a non-empty value.
``...IfExists`` is refused: it would let through calls that carry no aws:SourceVpce at all.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import first, flatten, json_statements, policy_document


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and flatten(principal.get("AWS")) == ["*"]


def _whole_api(resources: list[Any]) -> bool:
    return any(isinstance(r, str) and (r == "execute-api:/*" or r.endswith("/*")) for r in resources)


def _denies_other_vpces(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or not _everyone(statement.get("Principal")):
        return False
    actions = flatten(statement.get("Action"))
    if not any(a in ("execute-api:Invoke", "execute-api:*") for a in actions):
        return False
    if not _whole_api(flatten(statement.get("Resource"))):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if operator not in ("StringNotEquals", "StringNotEqualsIgnoreCase") or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            if key.lower() == "aws:sourcevpce" and flatten(values):
                return True
    return False


class ApiPolicySourceVpce(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the API resource policy denies every call not made through its VPC endpoint (aws:SourceVpce)",
            id="CKV_AUTHZ_5",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=("aws_api_gateway_rest_api_policy",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        document = policy_document(first(conf, "policy"))
        statements = json_statements(document) if document is not None else None
        if statements is None:
            self.details.append("the resource policy is not readable: write it inline with jsonencode()")
            return CheckResult.FAILED
        return CheckResult.PASSED if any(_denies_other_vpces(s) for s in statements) else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["policy"]


check = ApiPolicySourceVpce()
