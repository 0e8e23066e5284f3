# Case create-cross-account: everything is created by this plan.
# Account A (111111111111, provider "aws") holds a role that a user of
# account B (222222222222, provider "aws.b") may assume, and a bucket
# encrypted with a KMS key that has no key policy of its own.

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

provider "aws" {
  alias                       = "b"
  region                      = "us-east-1"
  access_key                  = "AKIAEXAMPLEEXAMPLE00"
  secret_key                  = "dummy-secret-key-for-offline-plans-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# --- account A -------------------------------------------------------------

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "DevUserAssumes"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::222222222222:user/plakhera"]
    }
  }
}

data "aws_iam_policy_document" "read_reports" {
  statement {
    sid       = "ReadReports"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::prod-account-a-bucket/*"]
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyDeleteByAnyone"
    effect    = "Deny"
    actions   = ["s3:DeleteObject"]
    resources = ["arn:aws:s3:::prod-account-a-bucket/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_iam_role" "reader" {
  name               = "S3ReadOnlyAccesstoDevAccount"
  assume_role_policy = data.aws_iam_policy_document.trust.json

  inline_policy {
    name = "list-bucket"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Sid      = "ListBucket"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = "arn:aws:s3:::prod-account-a-bucket"
      }]
    })
  }
}

resource "aws_iam_role_policy" "decrypt" {
  name = "decrypt-reports"
  role = aws_iam_role.reader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "DecryptWithAnyKeyOfA"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = "arn:aws:kms:us-east-1:111111111111:key/*"
    }]
  })
}

resource "aws_iam_policy" "read_reports" {
  name   = "read-reports"
  policy = data.aws_iam_policy_document.read_reports.json
}

resource "aws_iam_role_policy_attachment" "read_reports" {
  role       = aws_iam_role.reader.name
  policy_arn = aws_iam_policy.read_reports.arn
}

resource "aws_s3_bucket" "reports" {
  bucket = "prod-account-a-bucket"
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = data.aws_iam_policy_document.bucket.json
}

resource "aws_kms_key" "reports" {
  description = "SSE-KMS key of prod-account-a-bucket; no policy given, so AWS applies its default key policy"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.reports.arn
    }
  }
}

# --- account B -------------------------------------------------------------

resource "aws_iam_user" "plakhera" {
  provider = aws.b
  name     = "plakhera"
}

resource "aws_iam_user" "intern" {
  provider = aws.b
  name     = "intern"
}

resource "aws_iam_group" "switchers" {
  provider = aws.b
  name     = "prod-switchers"
}

resource "aws_iam_group_policy" "switch" {
  provider = aws.b
  name     = "AllowSwitchToProdRole"
  group    = aws_iam_group.switchers.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = "arn:aws:iam::111111111111:role/S3ReadOnlyAccesstoDevAccount"
    }]
  })
}

resource "aws_iam_user_group_membership" "plakhera" {
  provider = aws.b
  user     = aws_iam_user.plakhera.name
  groups   = [aws_iam_group.switchers.name]
}
