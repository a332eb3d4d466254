# Inputs of the log key module: a KMS key that only CloudWatch Logs may use, for chosen groups.

variable "alias_name" {
  description = "Alias of the key, without the alias/ prefix."
  type        = string
  default     = "authz-logs"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.alias_name)) && !startswith(var.alias_name, "aws/")
    error_message = "alias_name must be 1 to 250 characters from A-Z, a-z, 0-9, '/', '_' and '-', and not start with aws/."
  }
}

variable "log_group_name_patterns" {
  description = "Log group names (wildcards allowed) whose events the key may encrypt, e.g. /aws/lambda/authz-* or API-Gateway-Execution-Logs_*."
  type        = list(string)

  validation {
    condition     = length(var.log_group_name_patterns) > 0 && alltrue([for p in var.log_group_name_patterns : can(regex("^[A-Za-z0-9_/.#*-]+$", p)) && p != "*"])
    error_message = "log_group_name_patterns must list at least one log group name pattern (not a bare \"*\")."
  }
}

variable "deletion_window_days" {
  description = "Waiting period, in days, before the key is deleted after a destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30 && floor(var.deletion_window_days) == var.deletion_window_days
    error_message = "deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
