"""CKV_AUTHZ_1: every Lambda function is arm64 (the zip from `make build` is an aarch64 binary)."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import first


class LambdaArm64(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure every Lambda function runs on arm64 (architectures = [\"arm64\"])",
            id="CKV_AUTHZ_1",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("aws_lambda_function",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        # Unset means x86_64; an expression the gate cannot read is not accepted either.
        return CheckResult.PASSED if first(conf, "architectures") == ["arm64"] else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["architectures"]


check = LambdaArm64()
