# Example stack: a PRIVATE REST API reachable only through an execute-api interface VPC
# endpoint, every request checked by the Lambda authorizer (JWT bearer tokens).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_vpc" "this" {
  id = var.vpc_id
}

locals {
  name          = var.name_prefix
  function_name = "${var.name_prefix}-authorizer"
  api_name      = "${var.name_prefix}-api"
  allowed_cidrs = length(var.allowed_cidrs) > 0 ? var.allowed_cidrs : [data.aws_vpc.this.cidr_block]
  package_path  = "${path.root}/../../../target/lambda/authorizer/bootstrap.zip"
}

module "log_key" {
  source                  = "../../modules/log_key"
  alias_name              = "${local.name}-logs"
  log_group_name_patterns = ["/aws/lambda/${local.function_name}", "/aws/apigateway/${local.api_name}/*", "API-Gateway-Execution-Logs_*"]
}

module "api_gateway_account" {
  source    = "../../modules/api_gateway_account"
  count     = var.manage_api_gateway_account ? 1 : 0
  role_name = "${local.name}-apigw-cloudwatch"
}

resource "aws_security_group" "execute_api_endpoint" {
  name        = "${local.name}-execute-api-endpoint"
  description = "HTTPS from the allowed CIDRs to the execute-api VPC endpoint"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each          = toset(local.allowed_cidrs)
  security_group_id = aws_security_group.execute_api_endpoint.id
  description       = "HTTPS to the private API"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

# With private DNS on, https://{api-id}.execute-api.{region}.amazonaws.com resolves to this
# endpoint inside the VPC. The endpoint policy keeps it to this account's APIs.
resource "aws_vpc_endpoint" "execute_api" {
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${var.region}.execute-api"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.execute_api_endpoint.id]

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "InvokeOwnAccountApisOnly"
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "arn:${data.aws_partition.current.partition}:execute-api:${var.region}:${data.aws_caller_identity.current.account_id}:*/*"
      },
    ]
  })
}

module "authorizer" {
  source          = "../../modules/authorizer"
  function_name   = local.function_name
  package_path    = local.package_path
  log_kms_key_arn = module.log_key.key_arn

  jwt_issuers = [
    {
      issuer    = var.jwt_issuer
      audiences = var.jwt_audiences
    },
  ]
}

module "api" {
  source                        = "../../modules/rest_api"
  name                          = local.api_name
  exposure                      = "private"
  vpc_endpoint_ids              = [aws_vpc_endpoint.execute_api.id]
  authorizer_function_name      = module.authorizer.function_name
  authorizer_invoke_arn         = module.authorizer.invoke_arn
  authorizer_token_header       = module.authorizer.token_header
  identity_sources              = [module.authorizer.token_identity_source]
  authorizer_result_ttl_seconds = var.authorizer_result_ttl_seconds
  log_kms_key_arn               = module.log_key.key_arn

  depends_on = [module.api_gateway_account]
}
