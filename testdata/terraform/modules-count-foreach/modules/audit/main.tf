# An audit policy (listing the team's buckets) and its attachment to the
# team's role, both with count = 0 or 1.

variable "enabled" {
  type = bool
}

variable "name" {
  type = string
}

variable "role" {
  type = string
}

variable "buckets" {
  type = list(string)
}

resource "aws_iam_policy" "this" {
  count = var.enabled ? 1 : 0
  name  = "${var.name}-audit"
  path  = "/audit/"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ListTeamBuckets"
      Effect   = "Allow"
      Action   = "s3:ListBucket"
      Resource = [for b in var.buckets : "arn:aws:s3:::${b}"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "this" {
  count      = var.enabled ? 1 : 0
  role       = var.role
  policy_arn = aws_iam_policy.this[count.index].arn
}
