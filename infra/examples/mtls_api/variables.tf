# Inputs of the mTLS API example: the custom domain, its certificates and the client rules.

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name of the stack."
  type        = string
  default     = "authz-mtls"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 31 characters from a-z, 0-9 and '-', starting with a letter."
  }
}

variable "domain_name" {
  description = "Custom domain clients call with their certificate, e.g. api.example.com."
  type        = string
}

variable "certificate_arn" {
  description = "ARN of the ACM server certificate for domain_name, in var.region."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone for the domain's alias record; null to manage DNS elsewhere."
  type        = string
  default     = null
}

variable "truststore_path" {
  description = "Path of the PEM truststore written by `clientctl truststore > truststore.pem` (relative to this directory)."
  type        = string
  default     = "truststore.pem"
}

variable "truststore_bucket_name" {
  description = "Globally unique name of the S3 bucket holding the truststore."
  type        = string
}

variable "registry_table_name" {
  description = "Name of the client registry table (clientctl writes it, the authorizer reads it)."
  type        = string
  default     = "authz-client-registry"
}

variable "registry_writer_arns" {
  description = "Required. Exact ARNs of the IAM roles (or users) that run clientctl against the registry table: the operators' roles and the CI role. Only they may write items; every other principal, admins included, is denied item writes by the table's resource policy. Use the role ARN with its path (`aws iam get-role --role-name NAME --query Role.Arn`), not the sts assumed-role ARN of `aws sts get-caller-identity`."
  type        = list(string)
  nullable    = false
}

variable "mtls_client_id_from" {
  description = "Rule giving client_id: `subject_cn` or `uri_san:<prefix>` (SPIFFE-style)."
  type        = string
  default     = "subject_cn"
}

variable "registry_cache_ttl_secs" {
  description = "How long the authorizer reuses a registry answer (0 to 300 seconds); with the API Gateway cache off, this is the worst-case revocation delay."
  type        = number
  default     = 60

  validation {
    condition     = var.registry_cache_ttl_secs >= 0 && var.registry_cache_ttl_secs <= 300 && floor(var.registry_cache_ttl_secs) == var.registry_cache_ttl_secs
    error_message = "registry_cache_ttl_secs must be a whole number of seconds from 0 to 300."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the account-wide API Gateway CloudWatch role (needed for stage logs). false when the account already has one."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource of the stack."
  type        = map(string)
  default     = { project = "zero-trust-authorizer" }
}
