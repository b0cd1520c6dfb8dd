# A descriptor set written by protoc (or buf build -o), with its imports:
#   protoc --include_imports --descriptor_set_out=payments.binpb payments/v1/payments.proto
resource "portico_grpc_descriptors" "payments" {
  table_name  = portico_table.state.name
  name        = "payments"
  filename    = "${path.module}/payments.binpb"
  source_hash = filebase64sha256("${path.module}/payments.binpb")
}

# gRPC routes name the set; listing its file in descriptors checks them at plan
# time (unknown methods, client streaming) and writes the set first.
resource "portico_route_table" "routes" {
  table_name  = portico_table.state.name
  descriptors = { payments = portico_grpc_descriptors.payments.filename }
  document = jsonencode({
    version = 1
    # A new revision makes the aggregator reload the descriptor sets.
    revision = "payments-${portico_grpc_descriptors.payments.source_hash}"
    routes = [
      {
        id    = "payments-charge"
        match = { path = "/api/v1/payments", methods = ["POST"] }
        grpc  = { service = "payment-grpc-service", descriptors = "payments", method = "payments.v1.PaymentService/Charge", body = "*" }
      },
      {
        id          = "payments"
        match       = { pathPrefix = "/api/v1/grpc" }
        stripPrefix = "/api/v1/grpc"
        grpc        = { service = "payment-grpc-service", descriptors = "payments", annotations = "payments.v1.PaymentService" }
      },
    ]
  })
}
