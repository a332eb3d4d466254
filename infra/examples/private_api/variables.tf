# Inputs of the private API example: the VPC it lives in and the token issuer it trusts.

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
  default     = "authz-private"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 31 characters from a-z, 0-9 and '-', starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC whose workloads call the API; the execute-api endpoint is created in it."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Private subnets (one per availability zone) for the endpoint's network interfaces."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least one subnet ID (subnet-...)."
  }
}

variable "allowed_cidrs" {
  description = "IPv4 CIDRs allowed to open HTTPS connections to the endpoint; empty means the VPC's own CIDR."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "allowed_cidrs must be IPv4 CIDRs, and not 0.0.0.0/0."
  }
}

variable "jwt_issuer" {
  description = "The trusted token issuer (https URL, e.g. https://cognito-idp.eu-west-1.amazonaws.com/POOL_ID); its JWKS is fetched from <issuer>/.well-known/jwks.json."
  type        = string

  validation {
    condition     = can(regex("^https://[^/?#]+", var.jwt_issuer))
    error_message = "jwt_issuer must be an https:// URL."
  }
}

variable "jwt_audiences" {
  description = "Accepted `aud` values of the issuer's tokens."
  type        = list(string)

  validation {
    condition     = length(var.jwt_audiences) > 0
    error_message = "jwt_audiences must list at least one audience."
  }
}

variable "authorizer_result_ttl_seconds" {
  description = "API Gateway authorizer cache TTL keyed by the Authorization header (0 = off, at most 300). The cached policy covers every method and path of the API, and a cached Allow outlives the token's exp and revocation by up to the TTL."
  type        = number
  default     = 0

  validation {
    condition     = var.authorizer_result_ttl_seconds >= 0 && var.authorizer_result_ttl_seconds <= 300 && floor(var.authorizer_result_ttl_seconds) == var.authorizer_result_ttl_seconds
    error_message = "authorizer_result_ttl_seconds must be a whole number from 0 to 300."
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
