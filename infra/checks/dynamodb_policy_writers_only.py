"""CKV_AUTHZ_7: a DynamoDB table's resource policy denies every item write to all but named writers.

Checked: every ``aws_dynamodb_resource_policy`` on a table (a policy on a stream,
``resource_arn`` = ``...stream_arn`` or a ``.../stream/...`` ARN, is not judged: streams hold
no items). The policy must be inline (jsonencode), and its Deny statements that fence the
table by themselves must together cover every action that writes items:

- ``dynamodb:PutItem``, ``UpdateItem``, ``DeleteItem`` (also what TransactWriteItems is
  authorized as, per contained item), ``BatchWriteItem``, and the PartiQL writes
  ``PartiQLInsert``, ``PartiQLUpdate``, ``PartiQLDelete`` (a wildcard such as
  ``dynamodb:*`` covers them: in a Deny it only widens what is refused).

A statement fences the table when it has:

- ``Effect = "Deny"``, ``Principal = "*"`` (or ``{AWS = "*"}``), no NotPrincipal, NotAction
  or NotResource;
- ``Resource`` naming the table of ``resource_arn``: the same reference
  (``aws_dynamodb_table.X.arn``) or the same literal table ARN;
- ``Condition`` holding exactly one test, ``ArnNotEquals`` or ``ArnNotLike`` on
  ``aws:PrincipalArn``, whose values are exact IAM role or user ARNs
  (``arn:aws:iam::<account>:role/<path/>name``, no ``*`` or ``?``; an sts assumed-role ARN
  never matches aws:PrincipalArn), or a module variable. IAM ANDs condition operators and
  keys, so any further test would narrow the Deny to the calls that also match it;
  ``...IfExists`` and the ``ForAnyValue:``/``ForAllValues:`` qualifiers are refused too.

A variable the gate cannot read: checkov renders a required ``list(string)`` variable as an
empty list (``[]``, or the string ``"[]"`` through a module call), which cannot be told apart
from a literal empty list, so both are accepted, and so is an unrendered ``var.NAME``. That
is why ``modules/registry`` validates ``writer_principal_arns`` (not empty; each an exact IAM
role or user ARN, no wildcard). An empty list names no writer, so it cannot let anyone
through the Deny.
"""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import first, flatten, has_wildcard, is_everyone, json_statements, only_condition_test, policy_document

ITEM_WRITE_ACTIONS = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
CONDITION_OPERATORS = ("ArnNotEquals", "ArnNotLike")
# checkov renders "${aws_dynamodb_table.x.arn}" as "aws_dynamodb_table.x.arn"; both are accepted.
TABLE_REF_RE = re.compile(r"^(?:\$\{)?(aws_dynamodb_table\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?)\.arn\}?$")
STREAM_REF_RE = re.compile(r"^(?:\$\{)?aws_dynamodb_table\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?\.stream_arn\}?$")
TABLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$")
STREAM_ARN_RE = re.compile(r"^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+/stream/")
PRINCIPAL_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:iam::[0-9]{12}:(?:role|user)/(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,128}$"
)
VARIABLE_RE = re.compile(r"^(?:\$\{)?var\.[A-Za-z0-9_-]+\}?$")


def _table(value: Any) -> str | None:
    """The table ``value`` names, normalized (a reference or a literal table ARN), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    reference = TABLE_REF_RE.match(value)
    if reference:
        return reference.group(1)
    return value if TABLE_ARN_RE.match(value) else None


def _is_stream(value: Any) -> bool:
    return isinstance(value, str) and (STREAM_REF_RE.match(value.strip()) is not None or STREAM_ARN_RE.match(value.strip()) is not None)


def _action_pattern(action: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(action.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def _covered(actions: list[Any]) -> set[str]:
    patterns = [_action_pattern(a) for a in actions if isinstance(a, str)]
    return {w for w in ITEM_WRITE_ACTIONS if any(p.match(w.lower()) for p in patterns)}


def _writers(values: Any) -> bool:
    """Exact IAM role/user ARNs, or a variable the gate cannot read (see the module docstring)."""
    if isinstance(values, str) and (values.strip() == "[]" or VARIABLE_RE.match(values.strip())):
        return True
    values = flatten(values)
    if not values:
        return True
    if len(values) == 1 and isinstance(values[0], str) and VARIABLE_RE.match(values[0].strip()):
        return True
    return all(
        isinstance(v, str) and not has_wildcard(v) and PRINCIPAL_ARN_RE.match(v.strip()) is not None for v in values
    )


def _only_principal_arn_test(condition: Any) -> bool:
    test = only_condition_test(condition, CONDITION_OPERATORS)
    return test is not None and test[0].lower() == "aws:principalarn" and _writers(test[1])


def _fenced_writes(statement: dict[str, Any], table: str) -> set[str]:
    """The item-write actions this statement denies to all but the writers (empty: none)."""
    if statement.get("Effect") != "Deny" or not is_everyone(statement.get("Principal")):
        return set()
    if "NotPrincipal" in statement or "NotAction" in statement or "NotResource" in statement:
        return set()
    if not any(_table(r) == table for r in flatten(statement.get("Resource"))):
        return set()
    if not _only_principal_arn_test(statement.get("Condition")):
        return set()
    return _covered(flatten(statement.get("Action")))


class DynamodbPolicyWritersOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure a DynamoDB table's resource policy denies every item write except to the listed writer ARNs (aws:PrincipalArn)",
            id="CKV_AUTHZ_7",
            categories=(CheckCategories.IAM,),
            supported_resources=("aws_dynamodb_resource_policy",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        resource_arn = first(conf, "resource_arn")
        if _is_stream(resource_arn):
            return CheckResult.UNKNOWN
        table = _table(resource_arn)
        if table is None:
            self.details.append(f"resource_arn {str(resource_arn)[:80]!r} is not readable as one table")
            return CheckResult.FAILED
        document = policy_document(first(conf, "policy"))
        statements = json_statements(document) if document is not None else None
        if statements is None:
            self.details.append("the resource policy is not readable: write it inline with jsonencode()")
            return CheckResult.FAILED
        covered: set[str] = set()
        for statement in statements:
            covered |= _fenced_writes(statement, table)
        missing = sorted(set(ITEM_WRITE_ACTIONS) - covered)
        if not missing:
            return CheckResult.PASSED
        self.details.append(
            "no Deny for Principal * on this table whose only condition is ArnNotEquals/ArnNotLike aws:PrincipalArn "
            "with exact IAM role/user ARNs covers: " + ", ".join(missing)
        )
        return CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["policy", "resource_arn"]


check = DynamodbPolicyWritersOnly()
