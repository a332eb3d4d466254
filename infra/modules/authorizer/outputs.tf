# Outputs of the authorizer module, consumed by the rest_api module.

output "function_name" {
  description = "Name of the authorizer function."
  value       = aws_lambda_function.authorizer.function_name
}

output "function_arn" {
  description = "ARN of the authorizer function."
  value       = aws_lambda_function.authorizer.arn
}

output "invoke_arn" {
  description = "Invoke ARN for aws_api_gateway_authorizer.authorizer_uri."
  value       = aws_lambda_function.authorizer.invoke_arn
}

output "role_arn" {
  description = "ARN of the authorizer's execution role."
  value       = aws_iam_role.authorizer.arn
}

output "log_group_name" {
  description = "Name of the authorizer's log group."
  value       = aws_cloudwatch_log_group.authorizer.name
}

output "token_header" {
  description = "The header the authorizer reads the bearer token from (AUTHZ_TOKEN_HEADER); give it to modules/rest_api as authorizer_token_header."
  value       = var.token_header
}

output "token_identity_source" {
  description = "The REQUEST authorizer identity source of that header (method.request.header.NAME)."
  value       = "method.request.header.${var.token_header}"
}

output "environment" {
  description = "The environment variables passed to the authorizer (no secrets)."
  value       = local.environment
}
