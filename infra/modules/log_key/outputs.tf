# Outputs of the log key module.

output "key_arn" {
  description = "ARN of the CloudWatch Logs key (log_kms_key_arn of the other modules)."
  value       = aws_kms_key.logs.arn
}
