# Inputs of the client registry module: the DynamoDB table of registered client certificates.

variable "table_name" {
  description = "Name of the DynamoDB client registry table (AUTHZ_REGISTRY_TABLE of the authorizer)."
  type        = string
  default     = "authz-client-registry"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3 to 255 characters from A-Z, a-z, 0-9, '_', '-' and '.'."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period, in days, before the table's KMS key is deleted after a destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30 && floor(var.kms_key_deletion_window_days) == var.kms_key_deletion_window_days
    error_message = "kms_key_deletion_window_days must be a whole number from 7 to 30."
  }
}

variable "point_in_time_recovery_days" {
  description = "How many days of continuous backups point-in-time recovery keeps (revocations can be audited and undone)."
  type        = number
  default     = 35

  validation {
    condition     = var.point_in_time_recovery_days >= 1 && var.point_in_time_recovery_days <= 35 && floor(var.point_in_time_recovery_days) == var.point_in_time_recovery_days
    error_message = "point_in_time_recovery_days must be a whole number from 1 to 35."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
