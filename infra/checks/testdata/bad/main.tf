# Deliberately broken Terraform for the gate's negative self-test: every custom check must
# fail exactly the resources listed in expected.json, and pass the near misses marked "ok".
# Never applied; excluded from the main scan.

# --- CKV_AUTHZ_1: arm64 only -------------------------------------------------------------

resource "aws_lambda_function" "x86" {
  function_name = "bad-x86"
  role          = "arn:aws:iam::123456789012:role/r"
  filename      = "bootstrap.zip"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["x86_64"]
}

resource "aws_lambda_function" "default_arch" {
  function_name = "bad-default-arch"
  role          = "arn:aws:iam::123456789012:role/r"
  filename      = "bootstrap.zip"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
}

resource "aws_lambda_function" "arm_ok" {
  function_name = "ok-arm"
  role          = "arn:aws:iam::123456789012:role/r"
  filename      = "bootstrap.zip"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["arm64"]
}

# --- CKV_AUTHZ_2, CKV2_AUTHZ_1, CKV2_AUTHZ_2: private or mTLS domain only -------------------

resource "aws_api_gateway_rest_api" "regional_open" {
  name = "bad-regional-open"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_rest_api" "edge" {
  name = "bad-edge"

  endpoint_configuration {
    types = ["EDGE"]
  }
}

resource "aws_api_gateway_rest_api" "no_config" {
  name = "bad-no-endpoint-configuration"
}

resource "aws_apigatewayv2_api" "http_open" {
  name          = "bad-http-open"
  protocol_type = "HTTP"
}

resource "aws_api_gateway_rest_api" "private_no_policy" {
  name = "bad-private-without-policy"

  endpoint_configuration {
    types = ["PRIVATE"]
  }
}

resource "aws_api_gateway_rest_api" "regional_unmapped" {
  name                         = "bad-regional-without-domain"
  disable_execute_api_endpoint = true

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_rest_api" "private_ok" {
  name = "ok-private"

  endpoint_configuration {
    types            = ["PRIVATE"]
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
  }
}

resource "aws_api_gateway_rest_api" "regional_mtls_ok" {
  name                         = "ok-regional-behind-mtls"
  disable_execute_api_endpoint = true

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "regional_mtls_ok" {
  api_id      = aws_api_gateway_rest_api.regional_mtls_ok.id
  stage_name  = "v1"
  domain_name = aws_api_gateway_domain_name.mtls_ok.domain_name
}

# --- CKV_AUTHZ_5: deny unless aws:SourceVpce ------------------------------------------------

resource "aws_api_gateway_rest_api_policy" "vpce_ok" {
  rest_api_id = aws_api_gateway_rest_api.private_ok.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }
      },
      {
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
      },
    ]
  })
}

resource "aws_api_gateway_rest_api_policy" "allow_only" {
  rest_api_id = "bad-allow-only"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*" }]
  })
}

resource "aws_api_gateway_rest_api_policy" "if_exists" {
  rest_api_id = "bad-if-exists"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = { StringNotEqualsIfExists = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }
    }]
  })
}

resource "aws_api_gateway_rest_api_policy" "source_vpc_not_vpce" {
  rest_api_id = "bad-source-vpc"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = { StringNotEquals = { "aws:SourceVpc" = "vpc-0123456789abcdef0" } }
    }]
  })
}

# Inline policies of PRIVATE APIs are held to the same rule as attached ones.
resource "aws_api_gateway_rest_api" "private_inline_allow" {
  name = "bad-private-inline-allow-everyone"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*" }]
  })

  endpoint_configuration {
    types = ["PRIVATE"]
  }
}

resource "aws_api_gateway_rest_api" "private_inline_unreadable" {
  name   = "bad-private-inline-unreadable"
  policy = file("${path.module}/policy.json")

  endpoint_configuration {
    types = ["PRIVATE"]
  }
}

resource "aws_api_gateway_rest_api" "private_inline_ok" {
  name = "ok-private-inline-policy"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = ["vpce-0123456789abcdef0", "vpce-0fedcba9876543210"] } }
      },
      { Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*" },
    ]
  })

  endpoint_configuration {
    types = ["PRIVATE"]
  }
}

# The Deny covers one path only: every other path is open to every caller.
resource "aws_api_gateway_rest_api_policy" "deny_one_path" {
  rest_api_id = "a1b2c3d4e5"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/v1/GET/health/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }
    }]
  })
}

# A second operator is ANDed: the Deny only hits callers that also send aws:SecureTransport false.
resource "aws_api_gateway_rest_api_policy" "deny_extra_operator" {
  rest_api_id = "bad-extra-operator"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = {
        StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" }
        Bool            = { "aws:SecureTransport" = "false" }
      }
    }]
  })
}

# A second key under the same operator is ANDed too.
resource "aws_api_gateway_rest_api_policy" "deny_extra_key" {
  rest_api_id = "bad-extra-key"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = {
        StringNotEquals = {
          "aws:SourceVpce"      = "vpce-0123456789abcdef0"
          "aws:PrincipalAccount" = "123456789012"
        }
      }
    }]
  })
}

# The Deny fences another API (by reference and by ARN): this one stays open.
resource "aws_api_gateway_rest_api_policy" "deny_other_api_ref" {
  rest_api_id = aws_api_gateway_rest_api.private_ok.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "${aws_api_gateway_rest_api.private_inline_ok.execution_arn}/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }
    }]
  })
}

resource "aws_api_gateway_rest_api_policy" "deny_other_api_arn" {
  rest_api_id = "a1b2c3d4e5"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "arn:aws:execute-api:eu-west-1:123456789012:zzzzzzzzzz/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }
    }]
  })
}

# A wildcard endpoint ID matches every VPC endpoint, anyone's.
resource "aws_api_gateway_rest_api_policy" "deny_vpce_wildcard" {
  rest_api_id = "bad-vpce-wildcard"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = ["vpce-0123456789abcdef0", "vpce-*"] } }
    }]
  })
}

resource "aws_api_gateway_rest_api_policy" "deny_vpce_empty" {
  rest_api_id = "bad-vpce-empty"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = [] } }
    }]
  })
}

# Near misses: the whole API named by its execution ARN, as a reference and as a literal.
resource "aws_api_gateway_rest_api_policy" "vpce_execution_arn_ref_ok" {
  rest_api_id = aws_api_gateway_rest_api.private_ok.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "${aws_api_gateway_rest_api.private_ok.execution_arn}/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = ["vpce-0123456789abcdef0"] } }
    }]
  })
}

resource "aws_api_gateway_rest_api_policy" "vpce_execution_arn_literal_ok" {
  rest_api_id = "a1b2c3d4e5"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = ["execute-api:Invoke"]
      Resource  = ["arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*"]
      Condition = { StringNotEquals = { "aws:SourceVpce" = "vpce-0123456789abcdef0" } }
    }]
  })
}

# --- CKV_AUTHZ_6: every non-private domain is mTLS, TLS 1.2+ --------------------------------

resource "aws_api_gateway_domain_name" "no_mtls" {
  domain_name              = "bad-no-mtls.example.com"
  regional_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/bad"
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_domain_name" "tls10" {
  domain_name              = "bad-tls10.example.com"
  regional_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/bad"
  security_policy          = "TLS_1_0"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  mutual_tls_authentication {
    truststore_uri = "s3://bad-bucket/truststore.pem"
  }
}

resource "aws_apigatewayv2_domain_name" "v2_no_mtls" {
  domain_name = "bad-v2.example.com"

  domain_name_configuration {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/bad"
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_api_gateway_domain_name" "mtls_ok" {
  domain_name              = "ok-mtls.example.com"
  regional_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/ok"
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  mutual_tls_authentication {
    truststore_uri     = "s3://ok-bucket/truststore.pem"
    truststore_version = "1"
  }
}

# --- CKV_AUTHZ_3: policy documents ----------------------------------------------------------

data "aws_iam_policy_document" "star_action" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::bucket/*"]
  }
}

data "aws_iam_policy_document" "dynamodb_star_resource" {
  statement {
    effect    = "Allow"
    actions   = ["dynamodb:GetItem"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "dynamodb_table_glob" {
  statement {
    actions   = ["dynamodb:GetItem"]
    resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/*"]
  }
}

data "aws_iam_policy_document" "not_actions" {
  statement {
    not_actions = ["iam:CreateUser"]
    resources   = ["arn:aws:s3:::bucket"]
  }
}

data "aws_iam_policy_document" "dynamic_star" {
  dynamic "statement" {
    for_each = ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"]
    content {
      actions   = ["dynamodb:*"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "deny_star_ok" {
  statement {
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "least_privilege_ok" {
  statement {
    actions   = ["dynamodb:GetItem"]
    resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/registry"]
  }

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/a:log-stream:*"]
  }
}

# --- CKV_AUTHZ_4: JSON policies on resources ------------------------------------------------

resource "aws_iam_role_policy" "star_json" {
  name = "bad-star-json"
  role = "r"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "arn:aws:s3:::bucket" }]
  })
}

resource "aws_iam_policy" "heredoc_dynamodb_star" {
  name   = "bad-heredoc"
  policy = <<-JSON
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/t"}
      ]
    }
  JSON
}

resource "aws_kms_key" "kms_star" {
  description = "bad key policy"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::123456789012:root" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_lambda_permission" "any_lambda_action" {
  action        = "lambda:*"
  function_name = "f"
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:aws:execute-api:eu-west-1:123456789012:api/*"
}

resource "aws_iam_policy" "unreadable" {
  name   = "bad-unreadable"
  policy = file("${path.module}/policy.json")
}

resource "aws_iam_role_policy" "ok_json" {
  name = "ok-json"
  role = "r"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["dynamodb:GetItem"], Resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/registry" },
      { Effect = "Deny", Action = "*", Resource = "*", Condition = { Bool = { "aws:SecureTransport" = "false" } } },
    ]
  })
}

# --- CKV2_AUTHZ_3: every DynamoDB table has a resource policy --------------------------------

resource "aws_dynamodb_table" "no_policy" {
  name         = "bad-table-without-resource-policy"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "client_id"

  attribute {
    name = "client_id"
    type = "S"
  }
}

resource "aws_dynamodb_table" "registry_ok" {
  name         = "ok-table-with-resource-policy"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "client_id"

  attribute {
    name = "client_id"
    type = "S"
  }
}

# --- CKV_AUTHZ_7: the table's policy denies item writes to all but the named writers ---------

resource "aws_dynamodb_resource_policy" "writers_ok" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action = [
        "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate", "dynamodb:PutItem", "dynamodb:UpdateItem",
      ]
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = ["arn:aws:iam::123456789012:role/ops/registry-operator", "arn:aws:iam::123456789012:user/ci"] } }
    }]
  })
}

# Near misses: the writes split over two Deny statements (literal ARNs: checkov left this
# jsonencode() unrendered when both statements named the table by reference); a literal table ARN,
# dynamodb:* (a wildcard in a Deny only refuses more), {AWS = "*"}, ArnNotLike, exact ARNs.
resource "aws_dynamodb_resource_policy" "writers_split_ok" {
  resource_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/split"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Deny"
        Principal = "*"
        Action    = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
        Resource  = "arn:aws:dynamodb:eu-west-1:123456789012:table/split"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/registry-operator" } }
      },
      {
        Effect    = "Deny"
        Principal = "*"
        Action    = ["dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]
        Resource  = "arn:aws:dynamodb:eu-west-1:123456789012:table/split"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/registry-operator" } }
      },
    ]
  })
}

resource "aws_dynamodb_resource_policy" "writers_literal_ok" {
  resource_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/registry"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "dynamodb:*"
      Resource  = ["arn:aws:dynamodb:eu-west-1:123456789012:table/registry", "arn:aws:dynamodb:eu-west-1:123456789012:table/registry/index/*"]
      Condition = { ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_RegistryOperator_0123456789abcdef"] } }
    }]
  })
}

# An Allow for the writers fences nothing: IAM policies of other roles still grant writes.
resource "aws_dynamodb_resource_policy" "allow_only" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:role/registry-operator" }
      Action    = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
      Resource  = aws_dynamodb_table.registry_ok.arn
    }]
  })
}

# Only the item API: BatchWriteItem and PartiQL writes stay open to every role.
resource "aws_dynamodb_resource_policy" "item_api_only" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/registry-operator" } }
    }]
  })
}

# A wildcard writer: every role whose name starts with ops- may revive a revoked certificate.
resource "aws_dynamodb_resource_policy" "writer_wildcard" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "dynamodb:*"
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = { ArnNotLike = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/ops-*" } }
    }]
  })
}

# An sts assumed-role ARN is never the aws:PrincipalArn of a call (that is the role's ARN).
resource "aws_dynamodb_resource_policy" "writer_assumed_role" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "dynamodb:*"
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:sts::123456789012:assumed-role/registry-operator/alice" } }
    }]
  })
}

resource "aws_dynamodb_resource_policy" "writers_if_exists" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "dynamodb:*"
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = { ArnNotEqualsIfExists = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/registry-operator" } }
    }]
  })
}

# A second operator is ANDed: the Deny only hits writes made outside eu-west-1.
resource "aws_dynamodb_resource_policy" "writers_extra_operator" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "dynamodb:*"
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = {
        ArnNotEquals    = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/registry-operator" }
        StringNotEquals = { "aws:RequestedRegion" = "eu-west-1" }
      }
    }]
  })
}

# aws:userid is not the principal's ARN.
resource "aws_dynamodb_resource_policy" "writers_other_key" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "dynamodb:*"
      Resource  = aws_dynamodb_table.registry_ok.arn
      Condition = { StringNotEquals = { "aws:userid" = "AROAEXAMPLEID:alice" } }
    }]
  })
}

# The Deny names another table: this one stays writable by every role.
resource "aws_dynamodb_resource_policy" "writers_other_table" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "dynamodb:*"
      Resource  = "arn:aws:dynamodb:eu-west-1:123456789012:table/other"
      Condition = { ArnNotEquals = { "aws:PrincipalArn" = "arn:aws:iam::123456789012:role/registry-operator" } }
    }]
  })
}

resource "aws_dynamodb_resource_policy" "writers_unreadable" {
  resource_arn = aws_dynamodb_table.registry_ok.arn
  policy       = file("${path.module}/policy.json")
}
