"""CKV_AUTHZ_4: no JSON policy on a resource grants a wildcard action or a wildcard DynamoDB resource.

Covers identity policies, key policies, bucket, endpoint and API resource policies, and Lambda
permissions. A policy given as ``data.aws_iam_policy_document.X.json`` is left to CKV_AUTHZ_3;
any other policy the gate cannot read fails.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import (
    first,
    flatten,
    is_literal_action,
    is_policy_document_reference,
    json_statements,
    policy_document,
    wildcard_grant_problems,
)

POLICY_ATTRIBUTES = {
    "aws_iam_policy": ("policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_iam_role": ("assume_role_policy",),
    "aws_kms_key": ("policy",),
    "aws_kms_key_policy": ("policy",),
    "aws_s3_bucket_policy": ("policy",),
    "aws_api_gateway_rest_api": ("policy",),
    "aws_api_gateway_rest_api_policy": ("policy",),
    "aws_vpc_endpoint": ("policy",),
    "aws_vpc_endpoint_policy": ("policy",),
    "aws_dynamodb_resource_policy": ("policy",),
    "aws_lambda_permission": (),
}


class IamJsonNoWildcards(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure no resource policy or inline policy grants a wildcard action or a wildcard DynamoDB resource",
            id="CKV_AUTHZ_4",
            categories=(CheckCategories.IAM,),
            supported_resources=tuple(POLICY_ATTRIBUTES),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        if self.entity_type == "aws_lambda_permission":
            action = first(conf, "action")
            return CheckResult.PASSED if is_literal_action(action) else CheckResult.FAILED

        policies = [first(conf, attribute) for attribute in POLICY_ATTRIBUTES[self.entity_type]]
        for inline in flatten(conf.get("inline_policy")):
            if isinstance(inline, dict):
                policies.append(first(inline, "policy"))

        for policy in policies:
            if policy is None or is_policy_document_reference(policy):
                continue
            document = policy_document(policy)
            statements = json_statements(document) if document is not None else None
            if statements is None:
                self.details.append(f"policy {str(policy)[:80]!r} is not readable: write it inline with jsonencode()")
                return CheckResult.FAILED
            for statement in statements:
                problems = wildcard_grant_problems(
                    effect=statement.get("Effect"),
                    actions=flatten(statement.get("Action")),
                    not_actions=flatten(statement.get("NotAction")),
                    resources=flatten(statement.get("Resource")),
                    not_resources=flatten(statement.get("NotResource")),
                )
                if problems:
                    self.details.extend(problems)
                    return CheckResult.FAILED
        return CheckResult.PASSED


check = IamJsonNoWildcards()
