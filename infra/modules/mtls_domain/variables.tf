# Inputs of the mTLS domain module: the custom domain, its certificate, and the truststore.

variable "domain_name" {
  description = "Fully qualified custom domain name clients call, e.g. api.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case fully qualified domain name."
  }
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate for domain_name, in the API's region (the server certificate)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ownership_verification_certificate_arn" {
  description = "ARN of a public ACM certificate proving ownership of domain_name; required by API Gateway only when certificate_arn is imported or from a private CA."
  type        = string
  default     = null

  validation {
    condition     = var.ownership_verification_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.ownership_verification_certificate_arn))
    error_message = "ownership_verification_certificate_arn must be an ACM certificate ARN or null."
  }
}

variable "truststore_bucket_name" {
  description = "Name of the S3 bucket created for the truststore (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.truststore_bucket_name))
    error_message = "truststore_bucket_name must be a valid S3 bucket name (3 to 63 characters: a-z, 0-9, '.', '-')."
  }
}

variable "truststore_path" {
  description = "Local path of the PEM truststore: the CA certificates that issue client certificates (`clientctl truststore > truststore.pem`)."
  type        = string

  validation {
    condition     = endswith(var.truststore_path, ".pem")
    error_message = "truststore_path must name a .pem file."
  }
}

variable "noncurrent_truststore_days" {
  description = "How long replaced truststore versions are kept, in days (the history of who was trusted when)."
  type        = number
  default     = 400

  validation {
    condition     = var.noncurrent_truststore_days >= 30 && floor(var.noncurrent_truststore_days) == var.noncurrent_truststore_days
    error_message = "noncurrent_truststore_days must be a whole number of at least 30."
  }
}

variable "route53_zone_id" {
  description = "ID of a Route 53 hosted zone in which to create the domain's alias record; null to manage DNS elsewhere."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
