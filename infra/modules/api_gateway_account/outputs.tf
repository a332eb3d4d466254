# Outputs of the API Gateway account module.

output "cloudwatch_role_arn" {
  description = "ARN of the role API Gateway uses to write logs."
  value       = aws_iam_role.cloudwatch.arn
}
