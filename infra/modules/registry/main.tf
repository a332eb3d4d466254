# The client registry: one item per client certificate, keyed by (client_id, canonical serial).
#
# Item format (written by clientctl, read by the authorizer with one GetItem per decision):
# client_id (S, partition key), serial (S, sort key: lower-case hex, no separators, no leading
# zeros), status (S: active | revoked | suspended), not_after (N), issuer (S, optional),
# tenant (S), scopes (L or SS), routes (L), usage_plan_key (S), created_at (N),
# revoked_at (N), revoked_reason (S), expires_at (N: the TTL attribute, not_after + 90 days).
# Only the key attributes are declared here: DynamoDB is schemaless for the rest.
#
# The table is the only revocation authority of the mTLS authorizer, so who may change its
# items is fenced on the table itself (aws_dynamodb_resource_policy below), not left to
# whatever IAM policies the account's roles happen to hold.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

resource "aws_kms_key" "registry" {
  description             = "SSE key of the ${var.table_name} DynamoDB client registry"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_days
  tags                    = var.tags

  # A key policy's Resource "*" means this key only. The account keeps administration (so
  # the key cannot become unmanageable), and use of the key is delegated to IAM policies in
  # this account, only through DynamoDB in this region: no principal can decrypt with it
  # directly. Every action is listed by name; the alias actions are there because
  # CreateAlias, UpdateAlias and DeleteAlias must be allowed on the key itself (key policy, or
  # IAM delegated from it), not only on the alias, or aws_kms_alias cannot be created.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action = [
          "kms:CancelKeyDeletion",
          "kms:CreateAlias",
          "kms:DeleteAlias",
          "kms:DescribeKey",
          "kms:DisableKey",
          "kms:DisableKeyRotation",
          "kms:EnableKey",
          "kms:EnableKeyRotation",
          "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:ListGrants",
          "kms:ListKeyPolicies",
          "kms:ListKeyRotations",
          "kms:ListResourceTags",
          "kms:PutKeyPolicy",
          "kms:RevokeGrant",
          "kms:RotateKeyOnDemand",
          "kms:ScheduleKeyDeletion",
          "kms:TagResource",
          "kms:UntagResource",
          "kms:UpdateAlias",
          "kms:UpdateKeyDescription",
        ]
        Resource = "*"
      },
      {
        Sid       = "AccountUsesTheKeyOnlyThroughDynamoDB"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action = [
          "kms:CreateGrant",
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:Encrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
        ]
        Resource = "*"
        Condition = {
          StringEquals = {
            "kms:ViaService"    = "dynamodb.${data.aws_region.current.region}.amazonaws.com"
            "kms:CallerAccount" = data.aws_caller_identity.current.account_id
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "registry" {
  name          = "alias/${replace(var.table_name, ".", "-")}"
  target_key_id = aws_kms_key.registry.key_id
}

resource "aws_dynamodb_table" "registry" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "client_id"
  range_key                   = "serial"
  deletion_protection_enabled = true
  tags                        = var.tags

  attribute {
    name = "client_id"
    type = "S"
  }

  attribute {
    name = "serial"
    type = "S"
  }

  # Long-expired certificates disappear on their own; revoked ones stay until then, so a
  # revocation can never be undone by the TTL before the certificate itself has expired.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled                 = true
    recovery_period_in_days = var.point_in_time_recovery_days
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.registry.arn
  }
}

# Revocation integrity: only the listed writers (the operators who run clientctl, and CI) may
# change items. An explicit Deny in the table's resource policy wins over any Allow, so an
# admin or developer role with dynamodb:* in its own IAM policies can still read the table but
# can no longer flip a revoked certificate back to active, or rewrite its scopes, routes or
# tenant. The Deny names every action that writes items:
#
# - PutItem, UpdateItem, DeleteItem: the item API, and TransactWriteItems, which DynamoDB
#   authorizes as the PutItem/UpdateItem/DeleteItem of each item it contains (there is no
#   separate transaction action to deny; ConditionCheckItem only reads);
# - BatchWriteItem, its own action;
# - PartiQLInsert, PartiQLUpdate, PartiQLDelete: ExecuteStatement, BatchExecuteStatement and
#   ExecuteTransaction writes.
#
# Reads (GetItem for the authorizer, Query/Scan for clientctl list) are not touched, nor are
# table-management and resource-policy actions: the deployer keeps managing the table and
# this policy. aws:PrincipalArn of a role session is the role's ARN (with its path), so a
# writer is named by its IAM role or user ARN, never by an sts assumed-role ARN. ArnNotEquals
# with exact ARNs: no wildcard can widen the set (the variable refuses * and ?).
resource "aws_dynamodb_resource_policy" "registry" {
  resource_arn = aws_dynamodb_table.registry.arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheRegistryWritersChangeItems"
        Effect    = "Deny"
        Principal = "*"
        Action = [
          "dynamodb:BatchWriteItem",
          "dynamodb:DeleteItem",
          "dynamodb:PartiQLDelete",
          "dynamodb:PartiQLInsert",
          "dynamodb:PartiQLUpdate",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
        ]
        Resource = aws_dynamodb_table.registry.arn
        Condition = {
          ArnNotEquals = { "aws:PrincipalArn" = var.writer_principal_arns }
        }
      },
    ]
  })
}
