# Case update-destroy: planned against the deployed state in
# terraform.tfstate (hand-written, planned with -refresh=false).
# - aws_iam_policy.app_data is widened (update): s3:PutObject and
#   s3:DeleteObject join s3:GetObject;
# - aws_iam_role_policy_attachment.app_reports is gone from the
#   configuration (delete): role app loses reports-write;
# - aws_iam_role.legacy is renamed legacy -> legacy-v2, and name forces a
#   new role (["delete","create"]); its aws_iam_role_policy follows it;
# - role app gets a permissions_boundary (update), a policy created here.
# The account comes from data.aws_caller_identity, read from a local STS
# stand-in (sts-stub.py, started by regenerate.sh), so import.args is empty.

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
  endpoints {
    sts = "http://127.0.0.1:18943"
  }
}

data "aws_caller_identity" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
}

resource "aws_iam_user" "alice" {
  name = "alice"
}

resource "aws_iam_user" "bob" {
  name = "bob"
}

resource "aws_iam_user_policy" "alice_assume" {
  name = "assume-app-roles"
  user = aws_iam_user.alice.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AssumeAnyRoleOfTheAccount"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = "arn:aws:iam::${local.account}:role/*"
    }]
  })
}

resource "aws_iam_policy" "app_data" {
  name = "app-data"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AppData"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      Resource = "arn:aws:s3:::app-data/*"
    }]
  })
}

resource "aws_iam_policy" "reports_write" {
  name = "reports-write"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteReports"
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = "arn:aws:s3:::reports/*"
    }]
  })
}

resource "aws_iam_policy" "app_boundary" {
  name = "app-boundary"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AppDataReadWriteOnly"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"]
    }]
  })
}

resource "aws_iam_role" "app" {
  name                 = "app"
  permissions_boundary = aws_iam_policy.app_boundary.arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${local.account}:user/alice" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "app_data" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.app_data.arn
}

resource "aws_iam_role" "legacy" {
  name = "legacy-v2"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${local.account}:user/alice" }
    }]
  })
}

resource "aws_iam_role_policy" "legacy_read" {
  name = "read-reports"
  role = aws_iam_role.legacy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadReports"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:aws:s3:::reports/*"
    }]
  })
}

resource "aws_s3_bucket" "app_data" {
  bucket = "app-data"
}

resource "aws_s3_bucket" "reports" {
  bucket = "reports"
}
