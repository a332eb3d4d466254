# Outputs of the private API example.

output "invoke_url" {
  description = "URL of the stage; it resolves only inside the VPC, through the endpoint's private DNS."
  value       = module.api.invoke_url
}

output "vpc_endpoint_id" {
  description = "The only VPC endpoint the API's resource policy lets through."
  value       = aws_vpc_endpoint.execute_api.id
}

output "authorizer_function_name" {
  description = "Name of the authorizer function (its logs: /aws/lambda/<name>)."
  value       = module.authorizer.function_name
}

output "access_log_group_name" {
  description = "Access log group of the stage."
  value       = module.api.access_log_group_name
}
