# Case modules-count-foreach: one module (modules/team) instantiated twice,
# once with for_each (module.team["analytics"], module.team["billing"]) and
# once with count (module.team_numbered[0], [1]); inside it, resources with
# for_each indexes and a nested module (modules/audit) whose resources use
# count. Everything is created, in one account (--terraform-account).

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
  teams = {
    analytics = { buckets = ["analytics-data"], audit = true }
    billing   = { buckets = ["billing-data", "invoices"], audit = false }
  }
}

resource "aws_s3_bucket" "data" {
  for_each = toset(["analytics-data", "billing-data", "invoices", "batch-input"])
  bucket   = each.key
}

module "team" {
  source   = "./modules/team"
  for_each = local.teams
  name     = each.key
  buckets  = each.value.buckets
  audit    = each.value.audit
}

module "team_numbered" {
  source  = "./modules/team"
  count   = 2
  name    = "batch-${count.index}"
  buckets = ["batch-input"]
  audit   = count.index == 1
}
