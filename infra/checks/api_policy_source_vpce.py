"""CKV_AUTHZ_5: an API resource policy denies every call whose aws:SourceVpce is not ours.

Checked: every ``aws_api_gateway_rest_api_policy``, and the inline ``policy`` of every PRIVATE
``aws_api_gateway_rest_api`` that has one (a PRIVATE API without an inline policy must have an
attached one: CKV2_AUTHZ_1). The policy must be inline (jsonencode) and hold at least one Deny
statement that fences the whole API by itself:

- ``Effect = "Deny"``, ``Principal = "*"`` (or ``{AWS = "*"}``), action ``execute-api:Invoke``
  (or ``execute-api:*``);
- ``Resource`` covering the whole API *this* policy belongs to: ``execute-api:/*``; or
  ``${aws_api_gateway_rest_api.X.execution_arn}/*`` where X is the API of ``rest_api_id``; or
  ``arn:aws:execute-api:REGION:ACCOUNT:APIID/*`` with APIID the literal ``rest_api_id`` (an
  inline policy cannot name its own API, so it must use ``execute-api:/*``). A stage, method or
  path prefix (``.../v1/GET/health/*``) or another API's ARN does not fence this API;
- ``Condition`` holding exactly one test, ``StringNotEquals`` (or ``StringNotEqualsIgnoreCase``)
  on ``aws:SourceVpce``, with a non-empty list of values none of which holds ``*`` or ``?``.
  IAM ANDs condition operators and keys: any other test would narrow the Deny to the calls
  that also match it. ``...IfExists`` is refused: it lets through calls that carry no
  aws:SourceVpce at all. A wildcard value (``vpce-*``) would match every endpoint.
"""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import first, flatten, has_wildcard, is_everyone, json_statements, only_condition_test, policy_document

# checkov renders "${aws_api_gateway_rest_api.x[0].execution_arn}/*" as
# "aws_api_gateway_rest_api.x[0].execution_arn/*"; both spellings are accepted.
API_REF = r"aws_api_gateway_rest_api\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?"
EXECUTION_ARN_REF_RE = re.compile(r"^(?:\$\{)?(" + API_REF + r")\.execution_arn\}?/\*$")
REST_API_ID_REF_RE = re.compile(r"^(?:\$\{)?(" + API_REF + r")\.id\}?$")
EXECUTION_ARN_RE = re.compile(r"^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:([a-z0-9]+)/\*$")
LITERAL_API_ID_RE = re.compile(r"^[a-z0-9]+$")
CONDITION_OPERATORS = ("StringNotEquals", "StringNotEqualsIgnoreCase")


def _fences_whole_api(resource: Any, rest_api_id: Any) -> bool:
    """Whether ``resource`` is the whole API that ``rest_api_id`` names (None: an inline policy)."""
    if not isinstance(resource, str):
        return False
    if resource == "execute-api:/*":
        return True
    if not isinstance(rest_api_id, str):
        return False
    api_id = rest_api_id.strip()
    reference = EXECUTION_ARN_REF_RE.match(resource)
    if reference:
        own = REST_API_ID_REF_RE.match(api_id)
        return own is not None and own.group(1) == reference.group(1)
    arn = EXECUTION_ARN_RE.match(resource)
    if arn:
        return LITERAL_API_ID_RE.match(api_id) is not None and arn.group(1) == api_id
    return False


def _only_source_vpce_test(condition: Any) -> bool:
    test = only_condition_test(condition, CONDITION_OPERATORS)
    if test is None or test[0].lower() != "aws:sourcevpce":
        return False
    values = flatten(test[1])
    return bool(values) and all(isinstance(v, str) and v.strip() and not has_wildcard(v) for v in values)


def _denies_other_vpces(statement: dict[str, Any], rest_api_id: Any) -> bool:
    if statement.get("Effect") != "Deny" or not is_everyone(statement.get("Principal")):
        return False
    if "NotPrincipal" in statement or "NotAction" in statement or "NotResource" in statement:
        return False
    actions = flatten(statement.get("Action"))
    if not any(a in ("execute-api:Invoke", "execute-api:*") for a in actions):
        return False
    if not any(_fences_whole_api(r, rest_api_id) for r in flatten(statement.get("Resource"))):
        return False
    return _only_source_vpce_test(statement.get("Condition"))


def _is_private(conf: dict[str, Any]) -> bool:
    endpoint = first(conf, "endpoint_configuration")
    types = first(endpoint, "types") if isinstance(endpoint, dict) else None
    return "PRIVATE" in flatten(types)


class ApiPolicySourceVpce(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the API resource policy denies every call not made through its VPC endpoint (aws:SourceVpce)",
            id="CKV_AUTHZ_5",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=("aws_api_gateway_rest_api_policy", "aws_api_gateway_rest_api"),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        policy = first(conf, "policy")
        if self.entity_type == "aws_api_gateway_rest_api":
            # Only a PRIVATE API's inline policy is fenced by aws:SourceVpce; one without an
            # inline policy is judged through its aws_api_gateway_rest_api_policy.
            if policy is None or not _is_private(conf):
                return CheckResult.UNKNOWN
            rest_api_id = None
        else:
            rest_api_id = first(conf, "rest_api_id")
        document = policy_document(policy)
        statements = json_statements(document) if document is not None else None
        if statements is None:
            self.details.append("the resource policy is not readable: write it inline with jsonencode()")
            return CheckResult.FAILED
        if any(_denies_other_vpces(s, rest_api_id) for s in statements):
            return CheckResult.PASSED
        self.details.append(
            "no Deny for Principal * on execute-api:Invoke over this whole API whose only condition is "
            "StringNotEquals aws:SourceVpce with literal endpoint IDs"
        )
        return CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["policy", "rest_api_id"]


check = ApiPolicySourceVpce()
