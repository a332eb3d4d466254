# A REST API that nothing can call without passing the Lambda authorizer, and that is reachable
# either only through an execute-api VPC endpoint (PRIVATE) or only through an mTLS custom
# domain (REGIONAL with the default execute-api endpoint disabled). Never both, never public.

locals {
  private  = var.exposure == "private"
  rest_api = one(concat(aws_api_gateway_rest_api.private, aws_api_gateway_rest_api.mtls))

  # Every method and path goes through the authorizer: the root and a greedy proxy.
  routes = {
    root  = local.rest_api.root_resource_id
    proxy = aws_api_gateway_resource.proxy.id
  }

  http_backend_uri = var.integration.uri == null ? null : trimsuffix(var.integration.uri, "/")

  # Access logs: who called, how the authorizer decided, never a token or a certificate PEM.
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    vpceId             = "$context.identity.vpceId"
    domainName         = "$context.domainName"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    principalId        = "$context.authorizer.principalId"
    authorizeStatus    = "$context.authorize.status"
    authorizerStatus   = "$context.authorizer.integrationStatus"
    authorizerLatency  = "$context.authorizer.latency"
    authorizerError    = "$context.authorizer.error"
    clientCertSerial   = "$context.identity.clientCert.serialNumber"
    clientCertNotAfter = "$context.identity.clientCert.validity.notAfter"
  })
}

# Two variants with literal settings, so that the policy-as-code gate can read them: exactly
# one of them exists.
resource "aws_api_gateway_rest_api" "private" {
  count       = var.exposure == "private" ? 1 : 0
  name        = var.name
  description = "Private API: reachable only through its execute-api VPC endpoint"

  # The default endpoint of a PRIVATE API resolves only inside a VPC with an execute-api
  # endpoint, and the resource policy below admits only the listed endpoints.
  endpoint_configuration {
    types            = ["PRIVATE"]
    vpc_endpoint_ids = var.vpc_endpoint_ids
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = length(var.vpc_endpoint_ids) > 0
      error_message = "a private API needs at least one execute-api VPC endpoint in vpc_endpoint_ids."
    }
  }
}

resource "aws_api_gateway_rest_api" "mtls" {
  count       = var.exposure == "mtls_domain" ? 1 : 0
  name        = var.name
  description = "mTLS API: reachable only through its mutual TLS custom domain"

  # The default execute-api endpoint would skip the client certificate: disabled, so the
  # mTLS custom domain is the only way in.
  disable_execute_api_endpoint = true

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# Deny every call that does not come through the listed VPC endpoints, then allow those.
resource "aws_api_gateway_rest_api_policy" "source_vpce" {
  count       = var.exposure == "private" ? 1 : 0
  rest_api_id = aws_api_gateway_rest_api.private[0].id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyUnlessThroughOwnVpcEndpoint"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.private[0].execution_arn}/*"
        Condition = {
          StringNotEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids }
        }
      },
      {
        Sid       = "AllowThroughOwnVpcEndpoint"
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.private[0].execution_arn}/*"
        Condition = {
          StringEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids }
        }
      },
    ]
  })
}

resource "aws_api_gateway_authorizer" "this" {
  name                             = "${var.name}-authorizer"
  rest_api_id                      = local.rest_api.id
  type                             = "REQUEST"
  authorizer_uri                   = var.authorizer_invoke_arn
  identity_source                  = join(",", var.identity_sources)
  authorizer_result_ttl_in_seconds = var.authorizer_result_ttl_seconds

  lifecycle {
    # API Gateway's cache key is built from the identity sources only, never from the client
    # certificate: a cached Allow would be reused for a request presenting another
    # certificate (or none), defeating revocation and certificate-bound tokens.
    precondition {
      condition     = local.private || var.authorizer_result_ttl_seconds == 0
      error_message = "an API behind the mTLS domain must keep authorizer_result_ttl_seconds = 0: the authorizer cache key cannot include the client certificate."
    }

    # With caching on, API Gateway reuses a decision for every request with the same identity
    # sources. Anything but the header the token is read from (a source IP, another header)
    # would serve one caller's Allow to another caller that shares that value.
    precondition {
      condition = var.authorizer_result_ttl_seconds == 0 || (
        length(var.identity_sources) == 1 &&
        lower(var.identity_sources[0]) == lower("method.request.header.${var.authorizer_token_header}")
      )
      error_message = "authorizer_result_ttl_seconds > 0 needs identity_sources = [\"method.request.header.${var.authorizer_token_header}\"] exactly (the header the authorizer reads the token from): any other cache key would share one caller's cached decision with others."
    }
  }
}

# API Gateway may invoke the authorizer for this API's authorizer only.
resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AllowApiGatewayAuthorizer-${var.name}"
  action        = "lambda:InvokeFunction"
  function_name = var.authorizer_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${local.rest_api.execution_arn}/authorizers/${aws_api_gateway_authorizer.this.id}"
}

resource "aws_api_gateway_request_validator" "parameters" {
  name                        = "${var.name}-parameters"
  rest_api_id                 = local.rest_api.id
  validate_request_parameters = true
  validate_request_body       = false
}

resource "aws_api_gateway_resource" "proxy" {
  rest_api_id = local.rest_api.id
  parent_id   = local.rest_api.root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "any" {
  for_each             = local.routes
  rest_api_id          = local.rest_api.id
  resource_id          = each.value
  http_method          = "ANY"
  authorization        = "CUSTOM"
  authorizer_id        = aws_api_gateway_authorizer.this.id
  request_validator_id = aws_api_gateway_request_validator.parameters.id
  request_parameters   = each.key == "proxy" ? { "method.request.path.proxy" = true } : {}
}

resource "aws_api_gateway_integration" "any" {
  for_each                = local.routes
  rest_api_id             = local.rest_api.id
  resource_id             = each.value
  http_method             = aws_api_gateway_method.any[each.key].http_method
  type                    = var.integration.type
  integration_http_method = var.integration.type == "MOCK" ? null : (var.integration.type == "AWS_PROXY" ? "POST" : "ANY")
  timeout_milliseconds    = var.integration.timeout_ms
  connection_type         = var.integration.type == "HTTP_PROXY" ? var.integration.connection_type : null
  connection_id           = var.integration.type == "HTTP_PROXY" ? var.integration.connection_id : null

  uri = (
    var.integration.type == "MOCK" ? null :
    var.integration.type == "AWS_PROXY" ? var.integration.uri :
    each.key == "proxy" ? "${local.http_backend_uri}/{proxy}" : "${local.http_backend_uri}/"
  )

  request_parameters = var.integration.type == "HTTP_PROXY" && each.key == "proxy" ? {
    "integration.request.path.proxy" = "method.request.path.proxy"
  } : {}

  request_templates = var.integration.type == "MOCK" ? {
    "application/json" = jsonencode({ statusCode = 200 })
  } : {}
}

# MOCK only: the answer names the principal the authorizer returned, to try the stack.
resource "aws_api_gateway_method_response" "mock_ok" {
  for_each    = var.integration.type == "MOCK" ? local.routes : {}
  rest_api_id = local.rest_api.id
  resource_id = each.value
  http_method = aws_api_gateway_method.any[each.key].http_method
  status_code = "200"
}

resource "aws_api_gateway_integration_response" "mock_ok" {
  for_each    = var.integration.type == "MOCK" ? local.routes : {}
  rest_api_id = local.rest_api.id
  resource_id = each.value
  http_method = aws_api_gateway_method.any[each.key].http_method
  status_code = aws_api_gateway_method_response.mock_ok[each.key].status_code

  response_templates = {
    "application/json" = "{\"authorized\": true, \"principalId\": \"$util.escapeJavaScript($context.authorizer.principalId)\"}"
  }

  depends_on = [aws_api_gateway_integration.any]
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = local.rest_api.id
  description = "Deployment of ${var.name}"

  # A resource policy or an authorizer change only takes effect after a new deployment.
  triggers = {
    redeployment = sha1(jsonencode([
      local.rest_api.endpoint_configuration,
      local.rest_api.disable_execute_api_endpoint,
      [for p in aws_api_gateway_rest_api_policy.source_vpce : p.policy],
      aws_api_gateway_authorizer.this,
      aws_api_gateway_request_validator.parameters.id,
      aws_api_gateway_resource.proxy.id,
      aws_api_gateway_method.any,
      aws_api_gateway_integration.any,
      aws_api_gateway_method_response.mock_ok,
      aws_api_gateway_integration_response.mock_ok,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_rest_api_policy.source_vpce,
    aws_api_gateway_integration.any,
    aws_api_gateway_integration_response.mock_ok,
  ]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# API Gateway writes execution logs to this fixed name; created here so that it is encrypted
# and expires like the others instead of being created by API Gateway without either.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${local.rest_api.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# Lets the backend verify that a request came from this API Gateway stage.
resource "aws_api_gateway_client_certificate" "backend" {
  description = "Presented by ${var.name} to its HTTP backend"
  tags        = var.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:responses are per caller and already authorized; a shared response cache could serve one client's data to another
  #checkov:skip=CKV2_AWS_29:no request reaches the stage without the VPC endpoint or a client certificate accepted in the TLS handshake; throttled per method; attach a web ACL with var.web_acl_arn
  #checkov:skip=CKV2_AWS_77:the Log4j managed rule group belongs to the optional web ACL of var.web_acl_arn (see CKV2_AWS_29); this stage runs no Java
  rest_api_id           = local.rest_api.id
  deployment_id         = aws_api_gateway_deployment.this.id
  stage_name            = var.stage_name
  xray_tracing_enabled  = true
  cache_cluster_enabled = false
  client_certificate_id = aws_api_gateway_client_certificate.backend.id
  tags                  = var.tags

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }
}

# The only way into an mTLS API: its stage mapped onto the mutual TLS custom domain.
resource "aws_api_gateway_base_path_mapping" "mtls" {
  count       = var.exposure == "mtls_domain" ? 1 : 0
  api_id      = aws_api_gateway_rest_api.mtls[0].id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = var.mtls_domain_name
  base_path   = var.base_path

  lifecycle {
    precondition {
      condition     = var.mtls_domain_name != null
      error_message = "exposure = mtls_domain needs mtls_domain_name (module mtls_domain output domain_name)."
    }
  }
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:response caching is off on purpose (see CKV_AWS_120 on the stage); cache_data_encrypted stays true should it ever be turned on
  rest_api_id = local.rest_api.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    caching_enabled        = false
    cache_data_encrypted   = true
  }

  depends_on = [aws_cloudwatch_log_group.execution]
}

resource "aws_wafv2_web_acl_association" "stage" {
  count        = var.web_acl_arn == null ? 0 : 1
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.web_acl_arn
}
