# Outputs of the REST API module.

output "rest_api_id" {
  description = "ID of the REST API."
  value       = local.rest_api.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (prefix of its method ARNs)."
  value       = local.rest_api.execution_arn
}

output "stage_name" {
  description = "Name of the deployed stage (for aws_api_gateway_base_path_mapping)."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the deployed stage."
  value       = aws_api_gateway_stage.this.arn
}

output "authorizer_id" {
  description = "ID of the REQUEST authorizer."
  value       = aws_api_gateway_authorizer.this.id
}

output "invoke_url" {
  description = "Default invoke URL of the stage: for a private API it resolves only inside the VPC (private DNS of the endpoint); for an mTLS API it is disabled, use the custom domain."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "access_log_group_name" {
  description = "Name of the stage's access log group."
  value       = aws_cloudwatch_log_group.access.name
}
