# The account-wide (per region) setting that lets API Gateway write stage logs to CloudWatch.
# Access and execution logging of every stage depends on it. Skip this module when the
# account already has a CloudWatch role set: there is one per account and region.

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "ApiGatewayAssumesTheRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  name                 = var.role_name
  description          = "Lets API Gateway write stage access and execution logs to CloudWatch Logs"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
  tags                 = var.tags
}

# The AWS managed policy documented for this role; it is not one of our statements.
resource "aws_iam_role_policy_attachment" "cloudwatch" {
  role       = aws_iam_role.cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.cloudwatch]
}
