# The portico-mesh extension, built by `make mesh-layer`: the zip holds
# extensions/portico-mesh, which Lambda starts beside any runtime.
resource "portico_layer" "mesh" {
  name                     = "portico-mesh-arm64"
  filename                 = "${path.module}/build/layer/portico-mesh-arm64.zip"
  source_code_hash         = filebase64sha256("${path.module}/build/layer/portico-mesh-arm64.zip")
  description              = "portico-mesh: the mesh on localhost:9911"
  compatible_architectures = ["arm64"]
}
