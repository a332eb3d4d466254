"""Helpers shared by the custom checks: reading checkov's rendering of Terraform values.

checkov hands a check every attribute as a list (``{"architectures": [["arm64"]]}``), renders
``jsonencode({...})`` into dicts, and leaves what it cannot resolve as strings such as
``"var.x"`` or ``"${local.y}"``. The checks treat anything they cannot read as a failure: an
invariant the gate cannot see is an invariant the gate cannot vouch for.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

ACTION_RE = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
POLICY_DOC_REF_RE = re.compile(r"^\$?\{?data\.aws_iam_policy_document\.[A-Za-z0-9_-]+(\[[^\]]+\])?\.json\}?$")


def first(conf: dict[str, Any], key: str, default: Any = None) -> Any:
    """The value of attribute ``key``, unwrapped from checkov's one-element list."""
    value = conf.get(key)
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


def flatten(value: Any) -> list[Any]:
    """Nested lists flattened into one list; a scalar becomes a one-element list."""
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(flatten(item))
        return out
    return [] if value is None else [value]


def is_literal_action(action: Any) -> bool:
    """A fully spelled IAM action such as ``dynamodb:GetItem`` (no wildcard, no expression)."""
    return isinstance(action, str) and ACTION_RE.match(action) is not None


def has_wildcard(value: Any) -> bool:
    return isinstance(value, str) and ("*" in value or "?" in value)


def is_everyone(principal: Any) -> bool:
    """Principal "*", or {"AWS": "*"} and nothing else."""
    if principal == "*":
        return True
    return isinstance(principal, dict) and list(principal) == ["AWS"] and flatten(principal.get("AWS")) == ["*"]


def only_condition_test(condition: Any, operators: tuple[str, ...]) -> tuple[str, Any] | None:
    """The (key, values) of a Condition that holds exactly one test under one of
    ``operators``, or None: a second operator or key would be ANDed with it and narrow the
    statement."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    operator, tests = next(iter(condition.items()))
    if operator not in operators or not isinstance(tests, dict) or len(tests) != 1:
        return None
    key, values = next(iter(tests.items()))
    return (key, values) if isinstance(key, str) else None


def policy_document(value: Any) -> dict[str, Any] | None:
    """A JSON policy as a dict: checkov renders jsonencode() to a dict; heredocs stay strings."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def is_policy_document_reference(value: Any) -> bool:
    """``data.aws_iam_policy_document.NAME.json``: checked by the data source check instead."""
    return isinstance(value, str) and POLICY_DOC_REF_RE.match(value.strip()) is not None


def json_statements(document: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The statements of a JSON policy, or None when they are not readable."""
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return None
    return statements


def document_statements(conf: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The statement blocks of an aws_iam_policy_document, including dynamic ones."""
    for block in conf.get("statement") or []:
        for statement in flatten(block):
            if isinstance(statement, dict):
                yield statement
    for dynamic in conf.get("dynamic") or []:
        for dynamic_block in flatten(dynamic):
            if not isinstance(dynamic_block, dict):
                continue
            body = dynamic_block.get("statement")
            if isinstance(body, dict):
                for content in flatten(body.get("content")):
                    if isinstance(content, dict):
                        yield content


def wildcard_grant_problems(effect: Any, actions: list[Any], not_actions: list[Any], resources: list[Any],
                            not_resources: list[Any]) -> list[str]:
    """Why a statement breaks 'no wildcard action, no wildcard DynamoDB resource' (empty: fine).

    Only grants (Allow) are judged: a Deny with a wildcard narrows access, it never widens it.
    """
    if effect not in (None, "Allow"):
        return []
    problems: list[str] = []
    if not_actions:
        problems.append("NotAction in an Allow grants every other action")
    for action in actions:
        if not is_literal_action(action):
            problems.append(f"action {action!r} is a wildcard or not a literal service:Action name")
    if any(isinstance(a, str) and a.lower().startswith("dynamodb:") for a in actions):
        if not resources:
            problems.append("DynamoDB actions without an explicit resource")
        if not_resources:
            problems.append("NotResource with DynamoDB actions grants every other table")
        for resource in resources:
            if not isinstance(resource, str) or has_wildcard(resource):
                problems.append(f"DynamoDB resource {resource!r} is a wildcard or not readable")
    return problems
