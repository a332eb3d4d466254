# Example stack: a REST API reachable only through a regional custom domain with mutual TLS
# (the default execute-api endpoint is disabled); the authorizer ties each client
# certificate to an active item of the DynamoDB client registry.

locals {
  name          = var.name_prefix
  function_name = "${var.name_prefix}-authorizer"
  api_name      = "${var.name_prefix}-api"
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

# Only registry_writer_arns may write registry items (issue, revoke, rotate...): the table's
# resource policy denies item writes to every other principal of the account.
module "registry" {
  source                = "../../modules/registry"
  table_name            = var.registry_table_name
  writer_principal_arns = var.registry_writer_arns
}

module "authorizer" {
  source                  = "../../modules/authorizer"
  function_name           = local.function_name
  package_path            = local.package_path
  log_kms_key_arn         = module.log_key.key_arn
  registry                = module.registry
  mtls_required           = true
  mtls_client_id_from     = var.mtls_client_id_from
  registry_cache_ttl_secs = var.registry_cache_ttl_secs
}

# No header carries the client's identity on an mTLS-only API: the identity source is one
# that is always present, and API Gateway's authorizer cache stays off (its key could not
# include the certificate). The module refuses a TTL above 0 for this exposure.
module "api" {
  source                        = "../../modules/rest_api"
  name                          = local.api_name
  exposure                      = "mtls_domain"
  mtls_domain_name              = module.domain.domain_name
  authorizer_function_name      = module.authorizer.function_name
  authorizer_invoke_arn         = module.authorizer.invoke_arn
  authorizer_token_header       = module.authorizer.token_header
  identity_sources              = ["context.identity.sourceIp"]
  authorizer_result_ttl_seconds = 0
  log_kms_key_arn               = module.log_key.key_arn

  depends_on = [module.api_gateway_account]
}

module "domain" {
  source                 = "../../modules/mtls_domain"
  domain_name            = var.domain_name
  certificate_arn        = var.certificate_arn
  route53_zone_id        = var.route53_zone_id
  truststore_bucket_name = var.truststore_bucket_name
  truststore_path        = startswith(var.truststore_path, "/") ? var.truststore_path : "${path.root}/${var.truststore_path}"
}
