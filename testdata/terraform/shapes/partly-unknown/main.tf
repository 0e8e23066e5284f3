# Shape partly-unknown (real plan, no questions): a set attribute with an
# unknown element (aws_iam_policy_attachment.p roles: wholly unknown in the
# plan) and a set of blocks with one unknown field (aws_iam_role.multi's
# second inline_policy: its policy holds a computed ARN).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
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
resource "aws_iam_role" "ci" {
  name_prefix        = "ci-"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}
resource "aws_iam_policy_attachment" "p" {
  name       = "p"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
  roles      = ["fixed", aws_iam_role.ci.name]
}
resource "aws_iam_role" "multi" {
  name               = "multi"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
  inline_policy {
    name   = "a"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
  }
  inline_policy {
    name   = "b"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:PutObject", Resource = aws_iam_role.ci.arn }] })
  }
}
