# The authorizer Lambda: arm64 on provided.al2023, its log group, and a least-privilege role.

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  mtls_on = var.registry != null

  # Issuers go to the authorizer as JSON; attributes left unset are dropped so that the
  # authorizer's own defaults apply (its parser rejects unknown fields, not missing ones).
  jwt_issuers_json = length(var.jwt_issuers) == 0 ? null : jsonencode([
    for i in var.jwt_issuers : { for k, v in i : k => v if v != null }
  ])

  typed_environment = {
    AUTHZ_REGISTRY_TABLE            = local.mtls_on ? var.registry.table_name : null
    AUTHZ_MTLS_REQUIRED             = local.mtls_on ? tostring(var.mtls_required) : null
    AUTHZ_MTLS_CLIENT_ID_FROM       = local.mtls_on ? var.mtls_client_id_from : null
    AUTHZ_REGISTRY_CACHE_TTL_SECS   = local.mtls_on ? tostring(var.registry_cache_ttl_secs) : null
    AUTHZ_JWT_ISSUERS               = local.jwt_issuers_json
    AUTHZ_POLICY_FILE               = var.policy_file
    AUTHZ_HTTP_API_SIMPLE_RESPONSES = tostring(var.http_api_simple_responses)
    AUTHZ_LOG_LEVEL                 = var.log_level
    AUTHZ_TOKEN_HEADER              = lower(var.token_header)
  }

  # extra_environment cannot name a typed variable (see its validation), so the merge order
  # does not decide anything.
  environment = merge(
    var.extra_environment,
    { for k, v in local.typed_environment : k => v if v != null },
  )
}

resource "aws_cloudwatch_log_group" "authorizer" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumesTheRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "authorizer" {
  name                 = "${var.function_name}-role"
  description          = "Execution role of the ${var.function_name} authorizer: its own logs and one registry table"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

# Every action is named; every resource is one log group or one table (and its key).
data "aws_iam_policy_document" "authorizer" {
  statement {
    sid       = "WriteOwnLogGroupOnly"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.authorizer.arn}:log-stream:*"]
  }

  dynamic "statement" {
    for_each = local.mtls_on ? [var.registry] : []
    content {
      sid       = "ReadOneRegistryItem"
      effect    = "Allow"
      actions   = ["dynamodb:GetItem"]
      resources = [statement.value.table_arn]
    }
  }

  # The table is encrypted with a customer managed key: DynamoDB decrypts on behalf of the
  # caller, so the caller needs kms:Decrypt, and only through DynamoDB in this region.
  dynamic "statement" {
    for_each = local.mtls_on ? [var.registry] : []
    content {
      sid       = "DecryptRegistryThroughDynamoDBOnly"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "authorizer" {
  name   = "least-privilege"
  role   = aws_iam_role.authorizer.id
  policy = data.aws_iam_policy_document.authorizer.json
}

data "archive_file" "bundle" {
  count       = var.bundle_dir == null ? 0 : 1
  type        = "zip"
  source_dir  = var.bundle_dir
  output_path = "${path.root}/.terraform/${var.function_name}-bundle.zip"
}

resource "aws_lambda_layer_version" "bundle" {
  count                    = var.bundle_dir == null ? 0 : 1
  layer_name               = "${var.function_name}-bundle"
  description              = "Bundled JWKS and policy files of ${var.function_name}, mounted at /opt"
  filename                 = data.archive_file.bundle[0].output_path
  source_code_hash         = data.archive_file.bundle[0].output_base64sha256
  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = ["arm64"]
}

resource "aws_lambda_function" "authorizer" {
  #checkov:skip=CKV_AWS_117:the authorizer calls DynamoDB and the issuers' JWKS endpoints; outside a VPC it needs no NAT, and it holds no network-reachable secret
  #checkov:skip=CKV_AWS_116:invoked synchronously by API Gateway; a dead-letter queue only applies to asynchronous invocations
  #checkov:skip=CKV_AWS_173:the environment holds no secret (table name, issuer URLs, levels); it is encrypted at rest with the Lambda service key
  #checkov:skip=CKV_AWS_50:X-Ray would add xray:Put* on "*" to a role kept to logs and one table; decisions are traced by reason codes in logs
  function_name                  = var.function_name
  description                    = "Zero-trust Lambda authorizer (JWT and mTLS client registry)"
  role                           = aws_iam_role.authorizer.arn
  filename                       = var.package_path
  source_code_hash               = fileexists(var.package_path) ? filebase64sha256(var.package_path) : null
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  code_signing_config_arn        = var.code_signing_config_arn
  layers                         = var.bundle_dir == null ? [] : [aws_lambda_layer_version.bundle[0].arn]
  tags                           = var.tags

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.authorizer.name
  }

  depends_on = [aws_iam_role_policy.authorizer]

  lifecycle {
    precondition {
      condition     = fileexists(var.package_path)
      error_message = "the authorizer zip is missing: run `make build` (it writes target/lambda/authorizer/bootstrap.zip)."
    }
  }
}
