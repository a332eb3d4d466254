# Inputs of the authorizer module: the Lambda function, its configuration and its limits.

variable "function_name" {
  description = "Name of the authorizer Lambda function (also names its role and log group)."
  type        = string
  default     = "authz-authorizer"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))
    error_message = "function_name must be 1 to 56 characters from A-Z, a-z, 0-9, '_' and '-' (the role name adds a suffix)."
  }
}

variable "package_path" {
  description = "Path of the Lambda zip built by `make build` (contains the arm64 `bootstrap`)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must name the .zip produced by `make build` (target/lambda/authorizer/bootstrap.zip)."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU share grows with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 3008 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 3008."
  }
}

variable "timeout" {
  description = "Function timeout in seconds, 4 to 10. A registry lookup may take up to AUTHZ_REGISTRY_OPERATION_TIMEOUT_MS (default 1.5 s, at most 2 s) and a JWKS fetch up to AUTHZ_JWKS_TIMEOUT_MS (default 1 s, at most 1.5 s); a shorter timeout would kill the function mid-lookup, so API Gateway gets an error instead of a decision. API Gateway gives an authorizer at most 10 s."
  type        = number
  default     = 5

  validation {
    condition     = var.timeout >= 4 && var.timeout <= 10 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 4 to 10: one request may need a registry lookup (up to 2 s) and a JWKS fetch (up to 1.5 s), one after the other."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: caps what a flood of requests can cost and guarantees the authorizer capacity. A throttled authorizer denies (fails closed). An account whose concurrency quota is still 10 cannot reserve any: raise the quota first."
  type        = number
  default     = 100

  validation {
    condition     = var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number of at least 1 (0 would disable the function)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (one of the values CloudWatch Logs accepts; at least a year for audit)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention of at least 365 days: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the log group (its key policy must allow the CloudWatch Logs service principal)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "registry" {
  description = "The client registry the authorizer reads (module registry outputs). null turns mTLS off: no AUTHZ_REGISTRY_TABLE and no DynamoDB permission."
  type = object({
    table_name  = string
    table_arn   = string
    kms_key_arn = string
  })
  default = null

  validation {
    condition = var.registry == null || (
      can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", var.registry.table_arn)) &&
      can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.registry.kms_key_arn))
    )
    error_message = "registry.table_arn must be one table's ARN (no wildcard) and registry.kms_key_arn a KMS key ARN."
  }
}

variable "mtls_required" {
  description = "AUTHZ_MTLS_REQUIRED: with a registry, a request without a client certificate is Unauthorized."
  type        = bool
  default     = true
}

variable "mtls_client_id_from" {
  description = "AUTHZ_MTLS_CLIENT_ID_FROM: where client_id comes from, `subject_cn` or `uri_san:<prefix>` (e.g. uri_san:spiffe://example.org/client/)."
  type        = string
  default     = "subject_cn"

  validation {
    condition     = can(regex("^(subject_cn|uri_san:[A-Za-z][A-Za-z0-9+.-]*:\\S+)$", var.mtls_client_id_from))
    error_message = "mtls_client_id_from must be `subject_cn` or `uri_san:<prefix>` with a URI prefix such as spiffe://example.org/client/."
  }
}

variable "jwt_issuers" {
  description = "AUTHZ_JWT_ISSUERS: trusted token issuers, JSON-encoded for the authorizer (unset attributes are left out so the authorizer's defaults apply). Empty turns JWT off."
  type = list(object({
    issuer              = string
    audiences           = list(string)
    jwks_uri            = optional(string)
    jwks_file           = optional(string)
    algorithms          = optional(list(string))
    typ                 = optional(string)
    principal_claim     = optional(string)
    groups_claim        = optional(string)
    require_bound_token = optional(bool)
    cognito = optional(object({
      token_use   = optional(string, "access")
      app_clients = list(string)
    }))
  }))
  default = []

  validation {
    condition = alltrue([
      for i in var.jwt_issuers : can(regex("^https://[^/?#]+", i.issuer)) && length(i.audiences) > 0
    ])
    error_message = "every jwt_issuers entry needs an https:// issuer and at least one audience."
  }

  validation {
    condition = alltrue(flatten([
      for i in var.jwt_issuers : [
        for a in (i.algorithms == null ? ["RS256"] : i.algorithms) : contains(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"], a)
      ]
    ]))
    error_message = "jwt_issuers algorithms must be from RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA (never HS* or none)."
  }

  validation {
    condition = alltrue([
      for i in var.jwt_issuers : (i.jwks_uri == null || can(regex("^https://", i.jwks_uri))) && (i.jwks_file == null || can(regex("^/opt/", i.jwks_file)))
    ])
    error_message = "jwks_uri must be https:// and jwks_file a path under /opt/ (the bundle layer)."
  }

  validation {
    condition     = length(jsonencode(var.jwt_issuers)) <= 3000
    error_message = "jwt_issuers is too large for Lambda's 4 KB environment: bundle the array as a file and set AUTHZ_JWT_ISSUERS_FILE through extra_environment."
  }
}

variable "policy_file" {
  description = "AUTHZ_POLICY_FILE: path of the route policy file inside the bundle layer (/opt/...) or the zip (/var/task/...); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.policy_file == null || can(regex("^/(opt|var/task)/[A-Za-z0-9_./-]+$", var.policy_file))
    error_message = "policy_file must be an absolute path under /opt/ or /var/task/."
  }
}

variable "bundle_dir" {
  description = "Directory packaged as a Lambda layer and mounted at /opt: bundled JWKS files and the policy file. null for no layer."
  type        = string
  default     = null
}

variable "http_api_simple_responses" {
  description = "AUTHZ_HTTP_API_SIMPLE_RESPONSES: answer HTTP API (v2) events with the simple {isAuthorized} format instead of an IAM policy."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "AUTHZ_LOG_LEVEL: the authorizer's log level. Logs carry reason codes only, never tokens or certificates."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["error", "warn", "info", "debug", "trace"], var.log_level)
    error_message = "log_level must be one of error, warn, info, debug, trace."
  }
}

variable "registry_cache_ttl_secs" {
  description = "AUTHZ_REGISTRY_CACHE_TTL_SECS: how long a registry answer is reused in the container (0 disables, at most 300 here although the authorizer accepts up to 3600). A revoked certificate keeps getting in for up to this long: worst-case revocation delay = this + the API Gateway authorizer result TTL."
  type        = number
  default     = 60

  validation {
    condition     = var.registry_cache_ttl_secs >= 0 && var.registry_cache_ttl_secs <= 300 && floor(var.registry_cache_ttl_secs) == var.registry_cache_ttl_secs
    error_message = "registry_cache_ttl_secs must be a whole number of seconds from 0 to 300: it bounds how long a revoked certificate still gets in."
  }
}

variable "token_header" {
  description = "AUTHZ_TOKEN_HEADER: the request header the authorizer reads `Bearer <token>` from (matched without regard to case). Pass the output token_header to modules/rest_api: with API Gateway's authorizer cache on, the cache key must be this header."
  type        = string
  default     = "Authorization"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.token_header))
    error_message = "token_header must be a header name of 1 to 128 characters from A-Z, a-z, 0-9, '-' and '_'."
  }
}

variable "extra_environment" {
  description = "More environment variables for the authorizer (e.g. AUTHZ_MTLS_TRUSTED_ISSUERS, AUTHZ_JWT_LEEWAY_SECS). They cannot override the typed ones above, nor set the downgrade switches AUTHZ_MTLS_REQUIRE_CERT_PIN and AUTHZ_JWT_ALLOW_LOOPBACK_HTTP (letter case ignored)."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.extra_environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", k)) && !startswith(upper(k), "AWS_") && !contains([
        "AUTHZ_REGISTRY_TABLE", "AUTHZ_MTLS_REQUIRED", "AUTHZ_MTLS_CLIENT_ID_FROM", "AUTHZ_JWT_ISSUERS",
        "AUTHZ_POLICY_FILE", "AUTHZ_HTTP_API_SIMPLE_RESPONSES", "AUTHZ_LOG_LEVEL", "AUTHZ_REGISTRY_CACHE_TTL_SECS",
        "AUTHZ_TOKEN_HEADER",
        # Downgrades, never set in a deployment: items without a certificate pin could allow
        # (AUTHZ_MTLS_REQUIRE_CERT_PIN=false), JWKS over plain HTTP (AUTHZ_JWT_ALLOW_LOOPBACK_HTTP).
        "AUTHZ_MTLS_REQUIRE_CERT_PIN", "AUTHZ_JWT_ALLOW_LOOPBACK_HTTP",
      ], upper(k))
    ])
    error_message = "extra_environment keys must be valid names, not AWS_* (reserved by Lambda), not one of the typed AUTHZ_* variables of this module (AUTHZ_TOKEN_HEADER included: use token_header), and not the downgrade switches AUTHZ_MTLS_REQUIRE_CERT_PIN or AUTHZ_JWT_ALLOW_LOOPBACK_HTTP."
  }
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing config that the zip must satisfy; null when the zip is not signed."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
