terraform import portico_layer.mesh arn:aws:lambda:eu-west-1:123456789012:layer:portico-mesh-arm64:3
