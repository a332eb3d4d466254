"""CKV_AUTHZ_6: every non-private custom domain requires mutual TLS, over TLS 1.2 or later.

A REST (v1) or HTTP (v2) custom domain passes when it is PRIVATE (reachable only through a VPC
endpoint), or REGIONAL with a mutual TLS truststore in S3 and a TLS 1.2+ security policy.
Together with CKV_AUTHZ_2 this means no request reaches an API without a VPC endpoint or a
client certificate.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from authz_common import first


def _modern_tls(policy: Any) -> bool:
    return isinstance(policy, str) and (policy.upper() == "TLS_1_2" or policy.startswith("SecurityPolicy_TLS1"))


class DomainMutualTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure every non-private API custom domain requires mutual TLS with TLS 1.2 or later",
            id="CKV_AUTHZ_6",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=("aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name"),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        if self.entity_type == "aws_apigatewayv2_domain_name":
            config = first(conf, "domain_name_configuration")
            config = config if isinstance(config, dict) else {}
            endpoint_type = first(config, "endpoint_type")
            security_policy = first(config, "security_policy")
        else:
            endpoint = first(conf, "endpoint_configuration")
            types = first(endpoint, "types") if isinstance(endpoint, dict) else None
            endpoint_type = types[0] if isinstance(types, list) and len(types) == 1 else None
            security_policy = first(conf, "security_policy")

        if endpoint_type == "PRIVATE":
            return CheckResult.PASSED

        mtls = first(conf, "mutual_tls_authentication")
        truststore = first(mtls, "truststore_uri") if isinstance(mtls, dict) else None
        if (
            endpoint_type == "REGIONAL"
            and isinstance(truststore, str)
            and truststore.startswith("s3://")
            and _modern_tls(security_policy)
        ):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = DomainMutualTls()
