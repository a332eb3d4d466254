# Outputs of the mTLS API example.

output "url" {
  description = "Where clients call the API, presenting their certificate."
  value       = "https://${module.domain.domain_name}/"
}

output "regional_domain_name" {
  description = "DNS target for the custom domain when route53_zone_id is not set."
  value       = module.domain.regional_domain_name
}

output "registry_table_name" {
  description = "The client registry table, for clientctl (AUTHZ_REGISTRY_TABLE)."
  value       = module.registry.table_name
}

output "truststore_version" {
  description = "S3 version of the truststore the domain trusts."
  value       = module.domain.truststore_version
}

output "authorizer_function_name" {
  description = "Name of the authorizer function (its logs: /aws/lambda/<name>)."
  value       = module.authorizer.function_name
}
