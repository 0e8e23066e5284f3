# A team's reader role: one inline policy per bucket (for_each), and, when
# audit is set, the nested audit module's managed policy attached.

variable "name" {
  type = string
}

variable "buckets" {
  type = list(string)
}

variable "audit" {
  type = bool
}

resource "aws_iam_role" "reader" {
  name = "${var.name}-reader"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "read" {
  for_each = toset(var.buckets)
  name     = "read-${each.key}"
  role     = aws_iam_role.reader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "Read"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "arn:aws:s3:::${each.key}/*"
    }]
  })
}

module "audit" {
  source  = "../audit"
  enabled = var.audit
  name    = var.name
  role    = aws_iam_role.reader.name
  buckets = var.buckets
}
