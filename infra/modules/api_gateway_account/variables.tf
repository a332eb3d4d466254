# Inputs of the API Gateway account module.

variable "role_name" {
  description = "Name of the role API Gateway assumes to write execution and access logs (one per account and region)."
  type        = string
  default     = "api-gateway-cloudwatch-logs"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be a valid IAM role name (1 to 64 characters)."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
