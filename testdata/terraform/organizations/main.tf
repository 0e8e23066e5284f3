# Case organizations: SCPs and an RCP created in the management account
# (999999999999, provider "aws") and attached by literal ids to the root
# (r-a1b2), an OU (ou-a1b2-11111111, workloads) and an account
# (111111111111). The organization itself is deployed already: base.json
# holds its structure. IAM resources of the member accounts come through
# provider aliases (aws.workloads: 111111111111, aws.audit: 222222222222).
# Resource types without IAM meaning for iamsim (access key, instance
# profile, OIDC provider, SQS queue) and one resource policy iamsim does not
# model (aws_sqs_queue_policy) are planned too. random_id is absent: the
# random provider is not in the offline mirror.

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
  alias                       = "workloads"
  region                      = "us-east-1"
  access_key                  = "AKIAEXAMPLEEXAMPLE00"
  secret_key                  = "dummy-secret-key-for-offline-plans-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias                       = "audit"
  region                      = "us-east-1"
  access_key                  = "AKIAEXAMPLEEXAMPLE00"
  secret_key                  = "dummy-secret-key-for-offline-plans-only"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# --- organization policies (management account) -----------------------------

resource "aws_organizations_policy" "deny_bucket_deletion" {
  name        = "DenyBucketDeletion"
  description = "No workload deletes a bucket"
  type        = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "DenyDeleteBucket"
      Effect   = "Deny"
      Action   = "s3:DeleteBucket"
      Resource = "*"
    }]
  })
}

resource "aws_organizations_policy_attachment" "deny_bucket_deletion_workloads" {
  policy_id = aws_organizations_policy.deny_bucket_deletion.id
  target_id = "ou-a1b2-11111111"
}

resource "aws_organizations_policy" "us_only" {
  name = "UsRegionsOnly"
  type = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyOutsideUs"
      Effect    = "Deny"
      NotAction = ["iam:*", "sts:*", "organizations:*", "s3:*"]
      Resource  = "*"
      Condition = {
        StringNotEquals = { "aws:RequestedRegion" = ["us-east-1", "us-west-2"] }
      }
    }]
  })
}

resource "aws_organizations_policy_attachment" "us_only_account" {
  policy_id = aws_organizations_policy.us_only.id
  target_id = "111111111111"
}

resource "aws_organizations_policy" "org_only_data" {
  name = "OrgPrincipalsOnly"
  type = "RESOURCE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EnforceOrgIdentities"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = "*"
      Condition = {
        StringNotEqualsIfExists = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5" }
        BoolIfExists            = { "aws:PrincipalIsAWSService" = "false" }
      }
    }]
  })
}

resource "aws_organizations_policy_attachment" "org_only_data_root" {
  policy_id = aws_organizations_policy.org_only_data.id
  target_id = "r-a1b2"
}

# --- account 111111111111 (workloads OU) -------------------------------------

resource "aws_iam_role" "app" {
  provider = aws.workloads
  name     = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "app" {
  provider = aws.workloads
  name     = "app"
  role     = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Data"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:DeleteBucket"]
        Resource = ["arn:aws:s3:::org-data", "arn:aws:s3:::org-data/*"]
      },
      {
        Sid      = "Describe"
        Effect   = "Allow"
        Action   = "ec2:DescribeInstances"
        Resource = "*"
      }
    ]
  })
}

resource "aws_s3_bucket" "data" {
  provider = aws.workloads
  bucket   = "org-data"
}

resource "aws_s3_bucket_policy" "data" {
  provider = aws.workloads
  bucket   = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PartnersAndAuditRead"
      Effect    = "Allow"
      Principal = { AWS = ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"] }
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::org-data/*"
    }]
  })
}

# Skipped: no IAM meaning that iamsim reads.
resource "aws_iam_instance_profile" "app" {
  provider = aws.workloads
  name     = "app"
  role     = aws_iam_role.app.name
}

resource "aws_iam_openid_connect_provider" "github" {
  provider        = aws.workloads
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

resource "aws_sqs_queue" "jobs" {
  provider = aws.workloads
  name     = "jobs"
}

# Not modelled by iamsim: a warning names it.
resource "aws_sqs_queue_policy" "jobs" {
  provider  = aws.workloads
  queue_url = aws_sqs_queue.jobs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::222222222222:root" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:aws:sqs:us-east-1:111111111111:jobs"
    }]
  })
}

# --- account 222222222222 (under the root) -----------------------------------

resource "aws_iam_user" "auditor" {
  provider = aws.audit
  name     = "auditor"
}

resource "aws_iam_user_policy" "auditor" {
  provider = aws.audit
  name     = "read-org-data"
  user     = aws_iam_user.auditor.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadOrgData"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:aws:s3:::org-data/*"
    }]
  })
}

resource "aws_iam_access_key" "auditor" {
  provider = aws.audit
  user     = aws_iam_user.auditor.name
}
