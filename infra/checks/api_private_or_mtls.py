"""CKV_AUTHZ_2: every API is PRIVATE, or has its default endpoint disabled (mTLS domain only).

A REST API passes when its endpoint type is literally PRIVATE, or when it is REGIONAL with
``disable_execute_api_endpoint = true`` (then only a custom domain reaches it, and
CKV_AUTHZ_6 requires every such domain to use mutual TLS). An HTTP/WebSocket API cannot be
private, so it must have its default endpoint disabled. EDGE, or a value the gate cannot read,
fails.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import first


class ApiPrivateOrMtlsOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure every API is PRIVATE or reachable only through a custom (mTLS) domain",
            id="CKV_AUTHZ_2",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=("aws_api_gateway_rest_api", "aws_apigatewayv2_api"),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        default_endpoint_disabled = first(conf, "disable_execute_api_endpoint") is True
        if self.entity_type == "aws_apigatewayv2_api":
            return CheckResult.PASSED if default_endpoint_disabled else CheckResult.FAILED

        endpoint = first(conf, "endpoint_configuration")
        types = first(endpoint, "types") if isinstance(endpoint, dict) else None
        if types == ["PRIVATE"]:
            return CheckResult.PASSED
        if types == ["REGIONAL"] and default_endpoint_disabled:
            return CheckResult.PASSED
        return CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["endpoint_configuration/[0]/types", "disable_execute_api_endpoint"]


check = ApiPrivateOrMtlsOnly()
