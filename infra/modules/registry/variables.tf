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

variable "writer_principal_arns" {
  description = "IAM role or user ARNs allowed to write registry items (the roles of the operators who run clientctl, and CI): exact ARNs with their path, as `aws iam get-role` shows them, not sts assumed-role ARNs. Every other principal is denied PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems and PartiQL writes by the table's resource policy."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.writer_principal_arns) > 0
    error_message = "writer_principal_arns must name at least one IAM role or user: with none, no one could issue or revoke a certificate."
  }

  validation {
    condition = alltrue([
      for arn in var.writer_principal_arns :
      can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,128}$", arn))
    ])
    error_message = "each writer_principal_arns entry must be an exact IAM role or user ARN, arn:aws:iam::<12-digit account>:role/<path/>name or :user/<path/>name, with no wildcard (* or ?), and not an sts assumed-role ARN (aws:PrincipalArn of a role session is the role's ARN)."
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
