# Outputs of the mTLS domain module.

output "domain_name" {
  description = "The custom domain clients call with their certificate."
  value       = aws_api_gateway_domain_name.mtls.domain_name
}

output "regional_domain_name" {
  description = "Target of the domain's DNS alias (CNAME or Route 53 alias)."
  value       = aws_api_gateway_domain_name.mtls.regional_domain_name
}

output "regional_zone_id" {
  description = "Hosted zone ID of regional_domain_name, for a Route 53 alias record."
  value       = aws_api_gateway_domain_name.mtls.regional_zone_id
}

output "truststore_uri" {
  description = "S3 URI of the truststore."
  value       = "s3://${aws_s3_bucket.truststore.id}/${local.truststore_key}"
}

output "truststore_version" {
  description = "S3 version of the truststore that the domain currently trusts."
  value       = aws_s3_object.truststore.version_id
}
