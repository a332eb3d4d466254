# Outputs of the client registry module, consumed by the authorizer module.

output "table_name" {
  description = "Name of the registry table (AUTHZ_REGISTRY_TABLE)."
  value       = aws_dynamodb_table.registry.name
}

output "table_arn" {
  description = "ARN of the registry table: the only resource the authorizer may read."
  value       = aws_dynamodb_table.registry.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the table; readers need kms:Decrypt on it through DynamoDB."
  value       = aws_kms_key.registry.arn
}

output "resource_policy" {
  description = "The table's resource policy (JSON): the Deny of every item write to all but writer_principal_arns."
  value       = aws_dynamodb_resource_policy.registry.policy
}
