resource "portico_lambda_role" "authorizer" {
  name = "portico-authorizer"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/portico-authorizer:*"
    }]
  })
}
