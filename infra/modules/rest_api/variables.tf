# Inputs of the REST API module: how the API is reached, the authorizer, the backend, the stage.

variable "name" {
  description = "Name of the REST API (also names its stage logs)."
  type        = string
  default     = "authz-api"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."
  }
}

variable "exposure" {
  description = "How the API is reached: `private` (endpoint type PRIVATE, only through the execute-api VPC endpoint) or `mtls_domain` (endpoint type REGIONAL with the default execute-api endpoint disabled, so only a custom domain with mutual TLS reaches it; pair with module mtls_domain)."
  type        = string
  default     = "private"

  validation {
    condition     = contains(["private", "mtls_domain"], var.exposure)
    error_message = "exposure must be `private` or `mtls_domain`: this module never creates a publicly reachable default endpoint."
  }
}

variable "vpc_endpoint_ids" {
  description = "IDs of the execute-api interface VPC endpoints allowed to call the API (exposure = private). The resource policy denies every other source."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.vpc_endpoint_ids : can(regex("^vpce-[0-9a-f]+$", id))])
    error_message = "vpc_endpoint_ids must be VPC endpoint IDs (vpce-...)."
  }
}

variable "mtls_domain_name" {
  description = "The mutual TLS custom domain (module mtls_domain output domain_name) the API is mapped to when exposure = mtls_domain; ignored otherwise."
  type        = string
  default     = null
}

variable "base_path" {
  description = "Base path of the API on the mTLS domain; null maps it at the root of the domain."
  type        = string
  default     = null

  validation {
    condition     = var.base_path == null || can(regex("^[A-Za-z0-9_.-]+$", var.base_path))
    error_message = "base_path must be a single path segment of A-Z, a-z, 0-9, '_', '.' and '-', or null."
  }
}

variable "authorizer_function_name" {
  description = "Name of the authorizer Lambda function (module authorizer output function_name)."
  type        = string
}

variable "authorizer_invoke_arn" {
  description = "Invoke ARN of the authorizer Lambda function (module authorizer output invoke_arn)."
  type        = string
}

variable "authorizer_token_header" {
  description = "The header the authorizer reads the bearer token from (module authorizer output token_header). With authorizer_result_ttl_seconds > 0, identity_sources must be exactly method.request.header.<this header>: the cache key is then the token itself."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.authorizer_token_header))
    error_message = "authorizer_token_header must be a header name from A-Z, a-z, 0-9, '-' and '_' (module authorizer output token_header)."
  }
}

variable "identity_sources" {
  description = "Identity sources of the REQUEST authorizer. A request missing one is answered 401 without invoking the authorizer; with caching on they form the cache key, so a TTL above 0 needs exactly [\"method.request.header.<authorizer_token_header>\"]. Use method.request.header.Authorization for JWT; for mTLS-only use context.identity.sourceIp (always present) with caching off."
  type        = list(string)
  default     = ["method.request.header.Authorization"]

  validation {
    condition = length(var.identity_sources) > 0 && alltrue([
      for s in var.identity_sources : can(regex("^(method\\.request\\.(header|querystring)\\.[A-Za-z0-9_.-]+|stageVariables\\.[A-Za-z0-9_]+|context\\.[A-Za-z0-9_.]+)$", s))
    ])
    error_message = "identity_sources must be one or more of method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME."
  }
}

variable "authorizer_result_ttl_seconds" {
  description = "How long API Gateway caches an authorizer decision (0 = off, at most 300). For that long a cached Allow is served without invoking the authorizer: a token that expires or is revoked meanwhile, or a certificate revoked in the registry, still gets in. The cached policy is reused for every method and path of the API, and the TTL adds to the worst-case revocation delay."
  type        = number
  default     = 0

  validation {
    condition     = var.authorizer_result_ttl_seconds >= 0 && var.authorizer_result_ttl_seconds <= 300 && floor(var.authorizer_result_ttl_seconds) == var.authorizer_result_ttl_seconds
    error_message = "authorizer_result_ttl_seconds must be a whole number from 0 to 300: a cached Allow outlives the token's exp and any revocation for the whole TTL."
  }
}

variable "integration" {
  description = "The backend behind the authorizer, for every method and path: MOCK (answers 200, for trying the stack), HTTP_PROXY (an https:// uri; http:// only through a VPC link) or AWS_PROXY (a Lambda invoke ARN)."
  type = object({
    type            = string
    uri             = optional(string)
    connection_type = optional(string, "INTERNET")
    connection_id   = optional(string)
    timeout_ms      = optional(number, 29000)
  })
  default = { type = "MOCK" }

  validation {
    condition     = contains(["MOCK", "HTTP_PROXY", "AWS_PROXY"], var.integration.type)
    error_message = "integration.type must be MOCK, HTTP_PROXY or AWS_PROXY."
  }

  validation {
    condition     = var.integration.type == "MOCK" || var.integration.uri != null
    error_message = "integration.uri is required for HTTP_PROXY and AWS_PROXY."
  }

  # Over the internet the backend is reached by URL: only https:// keeps the authorized
  # request (and what the backend answers) out of reach of the network in between. Plain
  # http:// is accepted only through a VPC link (a private NLB/ALB in your VPC).
  validation {
    condition = var.integration.type != "HTTP_PROXY" || (
      var.integration.connection_type == "VPC_LINK" ? can(regex("^https?://[^/?#]+", var.integration.uri)) : can(regex("^https://[^/?#]+", var.integration.uri))
    )
    error_message = "an HTTP_PROXY integration.uri must start with https:// (http:// only with connection_type = VPC_LINK)."
  }

  validation {
    condition     = var.integration.type != "AWS_PROXY" || can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/", var.integration.uri))
    error_message = "an AWS_PROXY integration.uri must be a Lambda invoke ARN (arn:aws:apigateway:REGION:lambda:path/...: the function's invoke_arn)."
  }

  validation {
    condition     = contains(["INTERNET", "VPC_LINK"], var.integration.connection_type) && (var.integration.connection_type == "INTERNET" || var.integration.connection_id != null)
    error_message = "integration.connection_type must be INTERNET or VPC_LINK, and VPC_LINK needs connection_id."
  }

  validation {
    condition     = var.integration.timeout_ms >= 50 && var.integration.timeout_ms <= 29000
    error_message = "integration.timeout_ms must be from 50 to 29000."
  }
}

variable "stage_name" {
  description = "Name of the deployed stage."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1 to 128 characters from A-Z, a-z, 0-9 and '_'."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed on the stage (every method)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed on the stage (every method)."
  type        = number
  default     = 200

  validation {
    condition     = var.throttling_burst_limit >= 1 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of at least 1."
  }
}

variable "execution_logging_level" {
  description = "Execution logging of the stage: ERROR or INFO (needs the account-level CloudWatch role of aws_api_gateway_account). Request and response bodies are never logged."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be ERROR or INFO."
  }
}

variable "log_retention_days" {
  description = "Retention of the access log group, in days (at least a year for audit)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention of at least 365 days: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key encrypting the access log group (its key policy must allow the CloudWatch Logs service principal)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "web_acl_arn" {
  description = "ARN of a regional AWS WAF web ACL to associate with the stage; null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}
