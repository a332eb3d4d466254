"""CKV_AUTHZ_3: no aws_iam_policy_document grants a wildcard action or a wildcard DynamoDB resource."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.data.base_check import BaseDataCheck

from authz_common import document_statements, first, flatten, wildcard_grant_problems


class IamDocumentNoWildcards(BaseDataCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure no IAM policy document grants a wildcard action or a wildcard DynamoDB resource",
            id="CKV_AUTHZ_3",
            categories=(CheckCategories.IAM,),
            supported_data=("aws_iam_policy_document",),
        )

    def scan_data_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        for statement in document_statements(conf):
            problems = wildcard_grant_problems(
                effect=first(statement, "effect", "Allow"),
                actions=flatten(statement.get("actions")),
                not_actions=flatten(statement.get("not_actions")),
                resources=flatten(statement.get("resources")),
                not_resources=flatten(statement.get("not_resources")),
            )
            if problems:
                self.details.extend(problems)
                return CheckResult.FAILED
        return CheckResult.PASSED


check = IamDocumentNoWildcards()
