# Case unknowns: values known only after apply, in one account
# (--terraform-account 111111111111), planned against terraform.tfstate.
# Resolvable from the configuration (a single reference to an attribute
# known elsewhere):
# - aws_iam_role_policy_attachment.app_logs: policy_arn of a policy created
#   here (ARN from account, path and name), role created here;
# - aws_s3_bucket_policy.logs: bucket is aws_s3_bucket.logs.id (its name).
# Truly unknown:
# - aws_iam_role.ci: name_prefix, so its name (and its inline policy's
#   role) are known only after apply;
# - aws_iam_role_policy.signer_key: its text holds aws_kms_key.signing.arn.
# Whole sets replaced (the deployed state had other members):
# - aws_iam_group_membership.deployers: users [alice, bob] -> [alice, carol];
# - aws_iam_policy_attachment.deploy: users [carol] -> none, group kept;
# - aws_iam_role_policies_exclusive.ops: role ops (not managed here) keeps
#   only ops-read; its hand-made manual-hotfix is removed on apply.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAEXAMPLEEXAMPLE00"
  secret_key                  = "dummy-secret-key-for-offline-plans-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

locals {
  ec2_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}

# --- deployed before this plan (terraform.tfstate) -------------------------

resource "aws_iam_user" "alice" {
  name = "alice"
}

resource "aws_iam_user" "bob" {
  name = "bob"
}

resource "aws_iam_user" "carol" {
  name = "carol"
}

resource "aws_iam_group" "deployers" {
  name = "deployers"
}

resource "aws_iam_group_membership" "deployers" {
  name  = "deployers-members"
  group = aws_iam_group.deployers.name
  users = [aws_iam_user.alice.name, aws_iam_user.carol.name]
}

resource "aws_iam_policy" "deploy" {
  name = "deploy"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "UpdateApp"
      Effect   = "Allow"
      Action   = "lambda:UpdateFunctionCode"
      Resource = "arn:aws:lambda:us-east-1:111111111111:function:app"
    }]
  })
}

resource "aws_iam_policy_attachment" "deploy" {
  name       = "deploy"
  policy_arn = aws_iam_policy.deploy.arn
  groups     = [aws_iam_group.deployers.name]
}

# --- created by this plan ----------------------------------------------------

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = local.ec2_trust
}

resource "aws_iam_policy" "app_logs" {
  name = "app-logs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteLogs"
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = "arn:aws:s3:::unknowns-logs/*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "app_logs" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.app_logs.arn
}

resource "aws_s3_bucket" "logs" {
  bucket = "unknowns-logs"
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AliceReads"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_user.alice.arn }
        Action    = "s3:GetObject"
        Resource  = "arn:aws:s3:::unknowns-logs/*"
      },
      {
        Sid       = "NobodyDeletes"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:DeleteObject"
        Resource  = "arn:aws:s3:::unknowns-logs/*"
      }
    ]
  })
}

resource "aws_iam_role" "ci" {
  name_prefix        = "ci-"
  assume_role_policy = local.ec2_trust
}

resource "aws_iam_role_policy" "ci" {
  name = "ci-logs"
  role = aws_iam_role.ci.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = "arn:aws:s3:::unknowns-logs/ci/*"
    }]
  })
}

resource "aws_kms_key" "signing" {
  description = "signing key; its ARN is known only after apply"
}

resource "aws_iam_role" "signer" {
  name               = "signer"
  assume_role_policy = local.ec2_trust
}

resource "aws_iam_role_policy" "signer_key" {
  name = "use-signing-key"
  role = aws_iam_role.signer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Sign", "kms:Verify"]
      Resource = aws_kms_key.signing.arn
    }]
  })
}

resource "aws_iam_role_policy" "signer_guard" {
  name = "never-delete"
  role = aws_iam_role.signer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "NeverDelete"
      Effect   = "Deny"
      Action   = "s3:DeleteObject"
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy" "ops_read" {
  name = "ops-read"
  role = "ops"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadLogs"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:aws:s3:::unknowns-logs/*"
    }]
  })
}

resource "aws_iam_role_policies_exclusive" "ops" {
  role_name    = "ops"
  policy_names = [aws_iam_role_policy.ops_read.name]
}
