# Portico: make demo | make test. Everything the two need is installed into
# git-ignored folders of the repo (.tools for tools, .portico for state).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

EMULATOR ?= ministack
ROOT := $(abspath .)
TOOLS := $(ROOT)/.tools
STATE := $(ROOT)/.portico
GO ?= go
PYTHON ?= python3

TERRAFORM_VERSION := v1.5.7
TFPLUGINDOCS_VERSION := v0.25.0
MINISTACK_VERSION := 1.5.33
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
TERRAFORM := $(TOOLS)/bin/terraform
VENV := $(TOOLS)/venv
MINISTACK_STAMP := $(VENV)/.ministack-$(MINISTACK_VERSION)

HOST_ARCH := $(shell $(GO) env GOARCH)
LAMBDA_ARCH := $(if $(filter arm64,$(HOST_ARCH)),arm64,x86_64)
BUILD := $(STATE)/build
# grpcnotrace leaves out grpc-go's golang.org/x/net/trace (and html/template
# with it), which nothing enables: 0.8 MB less in the aggregator.
GOFLAGS_LAMBDA := -trimpath -buildvcs=false -tags lambda.norpc,nethttpomithttp2,grpcnotrace -ldflags=-s\ -w
GOFLAGS_MESH := -trimpath -buildvcs=false -tags nethttpomithttp2 -ldflags=-s\ -w
MESH_BIN := $(BUILD)/local/portico-mesh
RIE ?= $(TOOLS)/bin/aws-lambda-rie
# A headless browser for the CORS end-to-end test (make browser).
CHROMIUM := $(TOOLS)/bin/chromium
# The demo's browser page (localstack/webapp), as https://app.portico.local.
WEBAPP_PORT := 18443

ifeq ($(EMULATOR),localstack)
ENDPOINT ?= https://localhost.localstack.cloud:4566
CA_CERT ?=
BACKEND_HOST ?= 172.17.0.1
BACKEND_BIND ?= 0.0.0.0
# The authorizer fetches plain http only from loopback, which a Lambda
# container does not share with the host: no local OpenID Connect issuer.
DEMO_OIDC_ISSUER ?=
else
ENDPOINT ?= https://localhost:4566
CA_CERT ?= $(STATE)/tls/ca.pem
BACKEND_HOST ?= 127.0.0.1
BACKEND_BIND ?= 127.0.0.1
DEMO_OIDC_ISSUER ?= http://127.0.0.1:$(DEMO_OIDC_PORT)
endif

DEMO_NAME := portico
DEMO_STATE := $(STATE)/demo.tfstate
DEMO_ISSUER := https://portico.local
DEMO_AUDIENCE := portico
DEMO_KID := portico-demo-1
DEMO_OIDC_PORT := 18089
BACKEND_PORTS := user-service=18081,user-service@v2=18088,order-service=18082,notification-service=18083,product-service=18084,french-content-service=18085,api-v2-service=18086
GRPC_PAYMENTS_PORT := 18087
# Where the aggregator and the demo services send X-Ray segments; make demo's
# waterfall listens there.
XRAY_DAEMON := 127.0.0.1:2000

export TF_CLI_CONFIG_FILE := $(STATE)/terraformrc
export TF_IN_AUTOMATION := 1
export CHECKPOINT_DISABLE := 1
# The emulators accept any credentials; real AWS uses terraform/aws and your own.
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test
export AWS_REGION ?= us-east-1
export AWS_DEFAULT_REGION ?= us-east-1

step = @printf '\033[1m==> %s\033[0m\n' "$(1)"

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

## ---- tools --------------------------------------------------------------

.PHONY: tools
tools: $(TERRAFORM) $(MINISTACK_STAMP) ## Install Terraform and MiniStack into .tools.

$(TERRAFORM):
	$(call step,installing Terraform $(TERRAFORM_VERSION) into .tools (about 3 minutes the first time))
	@mkdir -p $(TOOLS)/bin
	GOBIN=$(TOOLS)/bin GOFLAGS=-buildvcs=false $(GO) install github.com/hashicorp/terraform@$(TERRAFORM_VERSION)

$(MINISTACK_STAMP):
	$(call step,installing MiniStack $(MINISTACK_VERSION) into .tools/venv)
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check ministack==$(MINISTACK_VERSION)
	@touch $@

## ---- build --------------------------------------------------------------

.PHONY: provider
provider: ## Build the Terraform provider and the CLI config that points Terraform at it.
	$(call step,building terraform-provider-portico)
	@mkdir -p $(STATE)/plugins
	$(GO) build -trimpath -o $(STATE)/plugins/terraform-provider-portico ./provider
	@printf 'provider_installation {\n  dev_overrides {\n    "portico-gw/portico" = "%s"\n  }\n  direct {}\n}\n' "$(STATE)/plugins" > $(TF_CLI_CONFIG_FILE)

# lambda-zip builds functions/$(1) for GOARCH $(2) into $(3)/$(1).zip; the zip is
# reproducible (fixed mtime, no extra attributes) so an unchanged function
# keeps its code hash.
define lambda-zip
	@mkdir -p $(3)/$(1)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(2) $(GO) build $(GOFLAGS_LAMBDA) -o $(3)/$(1)/bootstrap ./functions/$(1)
	@touch -t 202001010000 $(3)/$(1)/bootstrap
	@rm -f $(3)/$(1).zip && cd $(3)/$(1) && zip -qX $(3)/$(1).zip bootstrap
endef

.PHONY: lambdas
lambdas: ## Build the functions for this machine (local profile).
	$(call step,building the Lambda functions ($(HOST_ARCH)))
	$(call lambda-zip,authorizer,$(HOST_ARCH),$(BUILD)/local)
	$(call lambda-zip,aggregator,$(HOST_ARCH),$(BUILD)/local)

.PHONY: build
build: ## Build arm64 zips for real AWS into .portico/build/aws.
	$(call step,building the Lambda functions (arm64, for AWS))
	$(call lambda-zip,authorizer,arm64,$(BUILD)/aws)
	$(call lambda-zip,aggregator,arm64,$(BUILD)/aws)

# mesh-layer-zip builds portico-mesh for GOARCH $(1) as a Lambda layer whose
# zip holds extensions/portico-mesh (Lambda starts what it finds in
# /opt/extensions), into $(BUILD)/layer/portico-mesh-$(2).zip; reproducible,
# like the functions' zips.
define mesh-layer-zip
	@rm -rf $(BUILD)/layer/$(2) && mkdir -p $(BUILD)/layer/$(2)/extensions
	CGO_ENABLED=0 GOOS=linux GOARCH=$(1) $(GO) build $(GOFLAGS_MESH) -o $(BUILD)/layer/$(2)/extensions/portico-mesh ./cmd/portico-mesh
	@touch -t 202001010000 $(BUILD)/layer/$(2)/extensions $(BUILD)/layer/$(2)/extensions/portico-mesh
	@rm -f $(BUILD)/layer/portico-mesh-$(2).zip && cd $(BUILD)/layer/$(2) && zip -qX $(BUILD)/layer/portico-mesh-$(2).zip extensions extensions/portico-mesh
	@printf 'portico-mesh-$(2).zip: binary %s bytes, zip %s bytes\n' $$(stat -c %s $(BUILD)/layer/$(2)/extensions/portico-mesh) $$(stat -c %s $(BUILD)/layer/portico-mesh-$(2).zip)
endef

.PHONY: mesh-layer
mesh-layer: ## Build the portico-mesh Lambda layer zips (arm64 and x86_64) into .portico/build/layer.
	$(call step,building the portico-mesh layer (arm64, x86_64))
	$(call mesh-layer-zip,arm64,arm64)
	$(call mesh-layer-zip,amd64,x86_64)

.PHONY: mesh-proxy
mesh-proxy: ## Build portico-mesh for this machine (sidecar, tests) into .portico/build/local.
	$(call step,building portico-mesh ($(HOST_ARCH)))
	@mkdir -p $(dir $(MESH_BIN))
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_MESH) -o $(MESH_BIN) ./cmd/portico-mesh

$(RIE):
	$(call step,installing the Lambda Runtime Interface Emulator into $(dir $(RIE)))
	@mkdir -p $(dir $(RIE))
	GOBIN=$(dir $(RIE)) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

.PHONY: portico
portico: ## Build the portico command (check, explain, openapi, usage, keys) into .portico/bin.
	@mkdir -p $(STATE)/bin
	$(GO) build -o $(STATE)/bin/portico ./cmd/portico

# browser links a headless Chromium into .tools/bin: the one on the PATH, or
# Debian's chromium installed with apt-get (as root, on Debian). Without one
# the browser test skips and says why; the HTTP-level CORS test still runs.
.PHONY: browser
browser: ## A headless browser for the CORS end-to-end test (Debian's chromium).
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	path=$$(command -v chromium || command -v chromium-browser || true); \
	if [ -z "$$path" ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  printf '\033[1m==> installing chromium with apt-get, for the browser test\033[0m\n'; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; } || true; \
	  path=$$(command -v chromium || true); \
	fi; \
	if [ -n "$$path" ]; then mkdir -p $(TOOLS)/bin && ln -sf "$$path" $(CHROMIUM); \
	else echo "no headless browser could be installed: the browser test will skip (the HTTP-level CORS test still runs)"; fi

.PHONY: bins
bins:
	@mkdir -p $(STATE)/bin
	$(GO) build -o $(STATE)/bin/backends ./localstack/cmd/backends
	$(GO) build -o $(STATE)/bin/devtoken ./localstack/cmd/devtoken
	$(GO) build -o $(STATE)/bin/grpcpay ./localstack/cmd/grpcpay
	$(GO) build -o $(STATE)/bin/dashtrace ./localstack/cmd/dashtrace
	$(GO) build -o $(STATE)/bin/webapp ./localstack/cmd/webapp

## ---- local environment ----------------------------------------------------

.PHONY: tls
tls: $(STATE)/tls/server.pem ## Make the local CA and the emulator's certificate.

$(STATE)/tls/server.pem:
	$(call step,making a local CA and a server certificate for localhost)
	@mkdir -p $(STATE)/tls && cd $(STATE)/tls && \
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 825 \
	  -subj "/CN=Portico Local Development CA" \
	  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null && \
	openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null && \
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:*.execute-api.localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' > server.ext && \
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem.tmp -days 825 -extfile server.ext 2>/dev/null && \
	chmod 600 ca-key.pem server-key.pem && mv server.pem.tmp server.pem

.PHONY: keys
keys: bins ## Make the demo token signing key.
	@mkdir -p $(STATE)/keys
	@$(STATE)/bin/devtoken keygen -private $(STATE)/keys/demo.pem -public $(STATE)/keys/demo.pub.pem

.PHONY: emulator-up
emulator-up: tools tls ## Start the emulator (EMULATOR=ministack|localstack).
	$(call step,starting the emulator ($(EMULATOR)))
	@EMULATOR=$(EMULATOR) localstack/emulator.sh start

.PHONY: emulator-down
emulator-down: ## Stop the emulator.
	@EMULATOR=$(EMULATOR) localstack/emulator.sh stop

.PHONY: backends-up
backends-up: bins ## Start the demo services.
	$(call step,starting the demo services on $(BACKEND_BIND))
	@if [ -f $(STATE)/backends.pid ] && kill -0 $$(cat $(STATE)/backends.pid) 2>/dev/null; then \
	  echo "demo services already running"; \
	else \
	  setsid $(STATE)/bin/backends -listen $$(echo "$(BACKEND_PORTS)" | sed -E 's/=([0-9]+)/=$(BACKEND_BIND):\1/g') \
	    -mtls-secrets $(DEMO_NAME)/mesh/ -endpoint $(ENDPOINT) $(if $(CA_CERT),-ca-cert $(CA_CERT),) -xray-daemon $(XRAY_DAEMON) \
	    > $(STATE)/backends.log 2>&1 < /dev/null & echo $$! > $(STATE)/backends.pid; \
	  sleep 0.5; kill -0 $$(cat $(STATE)/backends.pid) || { cat $(STATE)/backends.log; exit 1; }; \
	  cat $(STATE)/backends.log; \
	fi
	@if [ -f $(STATE)/grpcpay.pid ] && kill -0 $$(cat $(STATE)/grpcpay.pid) 2>/dev/null; then \
	  echo "demo gRPC payment service already running"; \
	else \
	  setsid $(STATE)/bin/grpcpay -bind $(BACKEND_BIND) -port $(GRPC_PAYMENTS_PORT) > $(STATE)/grpcpay.log 2>&1 < /dev/null & echo $$! > $(STATE)/grpcpay.pid; \
	  sleep 0.5; kill -0 $$(cat $(STATE)/grpcpay.pid) || { cat $(STATE)/grpcpay.log; exit 1; }; \
	  cat $(STATE)/grpcpay.log; \
	fi

.PHONY: issuer-up
issuer-up: keys ## Start the demo's OpenID Connect issuer (discovery and JWKS of the demo key).
	@if [ -z "$(DEMO_OIDC_ISSUER)" ]; then echo "no local OpenID Connect issuer with $(EMULATOR)"; \
	elif [ -f $(STATE)/issuer.pid ] && kill -0 $$(cat $(STATE)/issuer.pid) 2>/dev/null; then \
	  echo "demo OpenID Connect issuer already running"; \
	else \
	  setsid $(STATE)/bin/devtoken serve -public $(STATE)/keys/demo.pub.pem -kid $(DEMO_KID) -listen 127.0.0.1:$(DEMO_OIDC_PORT) \
	    > $(STATE)/issuer.log 2>&1 < /dev/null & echo $$! > $(STATE)/issuer.pid; \
	  sleep 0.5; kill -0 $$(cat $(STATE)/issuer.pid) || { cat $(STATE)/issuer.log; exit 1; }; \
	  cat $(STATE)/issuer.log; \
	fi

.PHONY: issuer-down
issuer-down: ## Stop the demo's OpenID Connect issuer.
	@if [ -f $(STATE)/issuer.pid ]; then kill $$(cat $(STATE)/issuer.pid) 2>/dev/null || true; rm -f $(STATE)/issuer.pid; echo "demo OpenID Connect issuer stopped"; fi

.PHONY: backends-down
backends-down: ## Stop the demo services.
	@if [ -f $(STATE)/backends.pid ]; then kill $$(cat $(STATE)/backends.pid) 2>/dev/null || true; rm -f $(STATE)/backends.pid; echo "demo services stopped"; fi
	@if [ -f $(STATE)/grpcpay.pid ]; then kill $$(cat $(STATE)/grpcpay.pid) 2>/dev/null || true; rm -f $(STATE)/grpcpay.pid; echo "demo gRPC payment service stopped"; fi

TF_LOCAL_VARS = -var name=$(DEMO_NAME) -var endpoint=$(ENDPOINT) \
	$(if $(CA_CERT),-var ca_bundle=$(CA_CERT),) \
	-var architecture=$(LAMBDA_ARCH) \
	-var authorizer_zip=$(BUILD)/local/authorizer.zip -var aggregator_zip=$(BUILD)/local/aggregator.zip \
	-var jwt_public_key=$(STATE)/keys/demo.pub.pem -var jwt_kid=$(DEMO_KID) -var jwt_issuer=$(DEMO_ISSUER) -var jwt_audience=$(DEMO_AUDIENCE) \
	-var backend_host=$(BACKEND_HOST) -var payment_grpc_port=$(GRPC_PAYMENTS_PORT) \
	-var oidc_issuer=$(DEMO_OIDC_ISSUER)

.PHONY: demo
demo: tools provider lambdas tls keys portico emulator-up backends-up issuer-up ## Run Portico locally and call it.
	$(call step,terraform apply (terraform/local))
	@$(TERRAFORM) -chdir=terraform/local get -no-color >/dev/null
	$(TERRAFORM) -chdir=terraform/local apply -auto-approve -input=false -compact-warnings -state=$(DEMO_STATE) $(TF_LOCAL_VARS)
	@url=$$($(TERRAFORM) -chdir=terraform/local output -state=$(DEMO_STATE) -raw invoke_url); \
	token=$$($(STATE)/bin/devtoken mint -key $(STATE)/keys/demo.pem -kid $(DEMO_KID) -iss $(DEMO_ISSUER) -aud $(DEMO_AUDIENCE) -sub user-123 -roles admin,reader -ttl 12h); \
	printf 'PORTICO_URL=%s\nPORTICO_CA_CERT=%s\nPORTICO_DEMO_KEY=%s\nPORTICO_DEMO_KID=%s\nPORTICO_DEMO_ISSUER=%s\nPORTICO_DEMO_AUDIENCE=%s\n' \
	  "$$url" "$(CA_CERT)" "$(STATE)/keys/demo.pem" "$(DEMO_KID)" "$(DEMO_ISSUER)" "$(DEMO_AUDIENCE)" > $(STATE)/demo.env; \
	cacert=$(if $(CA_CERT),"--cacert $(CA_CERT) ",""); \
	printf '\n\033[1mPortico is running.\033[0m\n  invoke URL: %s\n  demo token (user-123, roles admin,reader, 12 h): in TOKEN below\n  settings:   %s\n\n' "$$url" "$(STATE)/demo.env"; \
	printf 'Try:\n  export TOKEN=%s\n  curl %s-H "Authorization: Bearer $$TOKEN" %s/user-dashboard\n  curl %s-H "Authorization: Bearer $$TOKEN" %s/api/v1/users/123\n  curl %s%s/api/v1/users/123   # no token: 401\n' \
	  "$$token" "$$cacert" "$$url" "$$cacert" "$$url" "$$cacert" "$$url"; \
	printf '  curl %s--compressed -H "Authorization: Bearer $$TOKEN" -i %s/api/v1/products/1   # Content-Encoding: gzip\n  curl %s-H "Authorization: Bearer $$TOKEN" -o product.png %s/api/v1/products/1/image   # a PNG\n\n' \
	  "$$cacert" "$$url" "$$cacert" "$$url"; \
	if [ -n "$(CA_CERT)" ]; then \
	  if [ -f $(STATE)/webapp.pid ]; then kill $$(cat $(STATE)/webapp.pid) 2>/dev/null || true; fi; \
	  setsid $(STATE)/bin/webapp -listen 127.0.0.1:$(WEBAPP_PORT) -api "$$url" -key $(STATE)/keys/demo.pem -kid $(DEMO_KID) \
	    -iss $(DEMO_ISSUER) -aud $(DEMO_AUDIENCE) -ca-cert $(STATE)/tls/ca.pem -ca-key $(STATE)/tls/ca-key.pem \
	    > $(STATE)/webapp.log 2>&1 < /dev/null & echo $$! > $(STATE)/webapp.pid; \
	  printf 'Browser page (calls the API from another origin, CORS): https://app.portico.local/\n'; \
	  printf '  served on 127.0.0.1:$(WEBAPP_PORT); open it with\n  chromium --host-resolver-rules="MAP app.portico.local:443 127.0.0.1:$(WEBAPP_PORT)" --ignore-certificate-errors --user-data-dir=$$(mktemp -d) https://app.portico.local/\n\n'; \
	fi; \
	printf '\033[1m==> GET /user-dashboard\033[0m\n'; \
	curl -sS --fail-with-body $(if $(CA_CERT),--cacert $(CA_CERT),) -H "Authorization: Bearer $$token" "$$url/user-dashboard" | jq . ; \
	printf '\033[1m==> one /user-dashboard request, traced: the gateway, its calls over mutual TLS, each service\033[0m\n'; \
	$(STATE)/bin/dashtrace -url "$$url/user-dashboard" -token "$$token" -daemon $(XRAY_DAEMON) $(if $(CA_CERT),-ca-cert $(CA_CERT),); \
	printf '\nStop everything with: make demo-down\n'
	@$(MAKE) --no-print-directory demo-identity
	$(call step,mesh demo: order → payment → fraud → bank through the mesh client)
	$(GO) run ./localstack/cmd/meshdemo -endpoint $(ENDPOINT) $(if $(CA_CERT),-ca-cert $(CA_CERT),) -orders 200

# demo-identity shows, against a running demo, a token of the local OpenID
# Connect issuer (the authorizer knows it by its URL alone), two users of one
# tenant sharing its quota, and the RateLimit fields naming every policy.
OIDC_CLAIMS = {"realm_access":{"roles":["reader"]},"https://portico.dev/tenant":"acme"}

.PHONY: demo-identity
demo-identity: ## With make demo running: OpenID Connect discovery, a tenant's shared quota and the RateLimit fields, with curl.
	$(call step,OpenID Connect discovery; a tenant quota and the RateLimit fields)
	@if [ -z "$(DEMO_OIDC_ISSUER)" ]; then echo "no local OpenID Connect issuer with $(EMULATOR)"; exit 0; fi; \
	. $(STATE)/demo.env; cacert=$(if $(CA_CERT),"--cacert $(CA_CERT)",""); \
	printf 'curl %s/.well-known/openid-configuration\n' "$(DEMO_OIDC_ISSUER)"; \
	curl -sS "$(DEMO_OIDC_ISSUER)/.well-known/openid-configuration" | jq -c '{issuer, jwks_uri}'; \
	for sub in alice bob; do \
	  tok=$$($(STATE)/bin/devtoken mint -key $(STATE)/keys/demo.pem -kid $(DEMO_KID) -iss $(DEMO_OIDC_ISSUER) -aud $(DEMO_AUDIENCE) -sub $$sub -claims '$(OIDC_CLAIMS)' -ttl 12h); \
	  printf '\n%s of tenant acme (token of %s): curl -i $$PORTICO_URL/api/v1/users/%s\n' "$$sub" "$(DEMO_OIDC_ISSUER)" "$$sub"; \
	  curl -sS -D - -o $(STATE)/demo-answer.json $$cacert -H "Authorization: Bearer $$tok" "$$PORTICO_URL/api/v1/users/$$sub" | grep -iE '^(HTTP|ratelimit)'; \
	  jq -c '{service, tenant: .headers["X-User-Tenant"], roles: .headers["X-User-Roles"]}' $(STATE)/demo-answer.json; \
	done; \
	sleep 2; curl -sS -o /dev/null $$cacert -H "Authorization: Bearer $$tok" "$$PORTICO_URL/api/v1/users/bob"; \
	printf '\nBoth count against the tenant-daily and tenant-monthly quotas of acme; portico usage --by tenant reads the hourly counters:\n'; \
	AWS_ENDPOINT_URL=$(ENDPOINT) $(if $(CA_CERT),AWS_CA_BUNDLE=$(CA_CERT),) $(STATE)/bin/portico usage --table $$($(TERRAFORM) -chdir=terraform/local output -state=$(DEMO_STATE) -raw table_name) --by tenant \
	  || echo "(no usage counters yet)"

.PHONY: demo-down
demo-down: ## Stop everything make demo started.
	@if [ -f $(DEMO_STATE) ] && EMULATOR=$(EMULATOR) localstack/emulator.sh status >/dev/null 2>&1; then \
	  printf '\033[1m==> terraform destroy\033[0m\n'; \
	  $(TERRAFORM) -chdir=terraform/local destroy -auto-approve -input=false -compact-warnings -state=$(DEMO_STATE) $(TF_LOCAL_VARS) >/dev/null && echo "destroyed"; \
	fi
	@rm -f $(DEMO_STATE) $(DEMO_STATE).backup $(STATE)/demo.env
	@if [ -f $(STATE)/webapp.pid ]; then kill $$(cat $(STATE)/webapp.pid) 2>/dev/null || true; rm -f $(STATE)/webapp.pid; echo "browser page stopped"; fi
	@$(MAKE) --no-print-directory backends-down issuer-down emulator-down

## ---- tests --------------------------------------------------------------

.PHONY: unit
unit: ## go.mod tidy, vet and the unit tests under the race detector: offline, no emulator.
	$(call step,go mod tidy -diff, go vet and unit tests)
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

.PHONY: e2e
e2e: tools provider lambdas tls mesh-proxy $(RIE) browser ## End-to-end and provider acceptance tests against the emulator (starts it if needed).
	$(call step,end-to-end tests against $(EMULATOR) at $(ENDPOINT))
	@$(TERRAFORM) -chdir=terraform/local get -no-color >/dev/null
	@$(TERRAFORM) -chdir=terraform/aws get -no-color >/dev/null
	@$(TERRAFORM) -chdir=terraform/reliability get -no-color >/dev/null
	@started=0; \
	if ! EMULATOR=$(EMULATOR) localstack/emulator.sh status >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory emulator-up; started=1; \
	fi; \
	rc=0; \
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_TERRAFORM=$(TERRAFORM) \
	PORTICO_BACKEND_HOST=$(BACKEND_HOST) PORTICO_BACKEND_BIND=$(BACKEND_BIND) PORTICO_LAMBDA_ARCH=$(LAMBDA_ARCH) \
	PORTICO_AUTHORIZER_ZIP=$(BUILD)/local/authorizer.zip PORTICO_AGGREGATOR_ZIP=$(BUILD)/local/aggregator.zip \
	PORTICO_MESH_BIN=$(MESH_BIN) PORTICO_RIE=$(RIE) PORTICO_CHROMIUM=$(CHROMIUM) \
	  $(GO) test -tags e2e -count=1 -timeout 20m -v ./tests/... || rc=$$?; \
	printf '\033[1m==> provider acceptance tests against $(EMULATOR)\033[0m\n'; \
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_TERRAFORM=$(TERRAFORM) \
	PORTICO_BACKEND_HOST=$(BACKEND_HOST) PORTICO_BACKEND_BIND=$(BACKEND_BIND) PORTICO_LAMBDA_ARCH=$(LAMBDA_ARCH) \
	PORTICO_AUTHORIZER_ZIP=$(BUILD)/local/authorizer.zip PORTICO_AGGREGATOR_ZIP=$(BUILD)/local/aggregator.zip \
	TF_ACC=1 TF_ACC_TERRAFORM_PATH=$(TERRAFORM) \
	  $(GO) test -tags e2e -count=1 ./provider/... || rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) --no-print-directory emulator-down; fi; \
	exit $$rc

# docs exports the provider schema with the installed Terraform (a dev override,
# no init, nothing downloaded) and hands it to tfplugindocs, which then builds
# nothing and runs no Terraform of its own. tfplugindocs looks the schema up
# as registry.terraform.io/hashicorp/<name>, hence that address here.
.PHONY: docs
docs: $(TERRAFORM) provider ## Generate provider/docs from the schema and provider/examples with tfplugindocs.
	$(call step,generating provider/docs with tfplugindocs $(TFPLUGINDOCS_VERSION))
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	printf 'provider_installation {\n  dev_overrides {\n    "registry.terraform.io/hashicorp/portico" = "%s"\n  }\n  direct {}\n}\n' "$(STATE)/plugins" > $$tmp/terraformrc; \
	printf 'provider "portico" {}\n' > $$tmp/main.tf; \
	(cd $$tmp && TF_CLI_CONFIG_FILE=$$tmp/terraformrc $(TERRAFORM) providers schema -json > schema.json 2> terraform.log) || { cat $$tmp/terraform.log; exit 1; }; \
	$(GO) run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@$(TFPLUGINDOCS_VERSION) generate \
	  --provider-dir provider --provider-name portico --rendered-provider-name Portico --providers-schema $$tmp/schema.json

.PHONY: docs-check
docs-check: docs ## Fail when provider/docs differs from what tfplugindocs generates.
	@if [ -n "$$(git status --porcelain -- provider/docs)" ]; then \
	  echo "provider/docs is out of date: run make docs and commit the result:"; git status --short -- provider/docs; exit 1; \
	else echo "provider/docs: up to date"; fi

# demo-docs reads the demo's documents from terraform/local with terraform
# console (no state, no emulator) and runs the portico command on them:
# check (with the gRPC descriptor set), a few explains, and openapi, whose
# output a Go test validates against the OpenAPI 3.1 schema.
DEMO_DOCS := $(STATE)/docs
CONSOLE_VARS = -var authorizer_zip=unused -var aggregator_zip=unused -var jwt_public_key=$(STATE)/keys/demo.pub.pem \
	-var oidc_issuer=http://127.0.0.1:$(DEMO_OIDC_PORT)
PORTICO_CMD = $(STATE)/bin/portico

.PHONY: demo-docs
demo-docs: $(TERRAFORM) provider portico keys ## Check, explain and export (OpenAPI) the demo's documents with the portico command, offline.
	$(call step,portico check; explain and openapi on the demo's documents)
	@mkdir -p $(DEMO_DOCS)
	@$(TERRAFORM) -chdir=terraform/local get -no-color >/dev/null
	@for doc in routes_document:routes limits_document:limits auth_settings:auth; do \
	  echo "local.$${doc%%:*}" | $(TERRAFORM) -chdir=terraform/local console -no-color $(CONSOLE_VARS) | tail -n 1 | jq -r . > $(DEMO_DOCS)/$${doc##*:}.json; \
	done
	$(PORTICO_CMD) check -integration-timeout 32s $(DEMO_DOCS)/routes.json $(DEMO_DOCS)/limits.json $(DEMO_DOCS)/auth.json payments=localstack/grpcpay/payments.binpb
	$(PORTICO_CMD) explain --routes $(DEMO_DOCS)/routes.json --limits $(DEMO_DOCS)/limits.json GET /api/v1/users/123 -H 'X-API-Version: 2'
	$(PORTICO_CMD) explain --routes $(DEMO_DOCS)/routes.json --limits $(DEMO_DOCS)/limits.json --claim tenant=acme GET '/api/v1/search?q=widget'
	$(PORTICO_CMD) explain --routes $(DEMO_DOCS)/routes.json --ip 10.1.2.3 POST /partner/v1/users
	$(PORTICO_CMD) openapi --routes $(DEMO_DOCS)/routes.json --descriptors payments=localstack/grpcpay/payments.binpb -o $(DEMO_DOCS)/openapi.json
	$(GO) test -count=1 -run TestOpenAPIOfFile ./internal/cli/ -args -openapi=$(DEMO_DOCS)/openapi.json

.PHONY: tf-check
tf-check: $(TERRAFORM) provider docs-check demo-docs ## terraform fmt -check and validate of every root, docs up to date, the demo's documents checked.
	$(call step,terraform fmt and validate)
	$(TERRAFORM) fmt -check -recursive -diff terraform
	@for root in terraform/local terraform/aws terraform/reliability; do \
	  $(TERRAFORM) -chdir=$$root get -no-color >/dev/null || exit 1; \
	  if out=$$($(TERRAFORM) -chdir=$$root validate -no-color 2>&1); then echo "$$root: valid"; \
	  else echo "$$out"; exit 1; fi; \
	done

.PHONY: test
test: unit tf-check e2e ## Unit tests, Terraform checks, then end-to-end tests.

# reliability: the simulations (internal/sim, simulated time), then the fault
# matrix and the soak through the local stack (localstack/reliability,
# terraform/reliability), written to RELIABILITY.md and RELIABILITY-soak.svg.
# About SOAK plus 45 minutes; SOAK=0 skips the soak, ROWS=a,b runs those rows.
SOAK ?= 30m
ROWS ?=
RELIABILITY_RATE ?= 12
.PHONY: reliability
reliability: tools provider lambdas tls ## Fault matrix, soak and internet-scale simulations; writes RELIABILITY.md (about 75 minutes).
	$(call step,simulations: the global limit across 200 instances and a 500-instance stampede (internal/sim))
	@mkdir -p $(STATE)/reliability
	$(GO) test -count=1 -timeout 60m -run '^TestReport$$' ./internal/sim -args -sim.report $(STATE)/reliability/simulation.md
	@$(TERRAFORM) -chdir=terraform/reliability get -no-color >/dev/null
	@started=0; \
	if ! EMULATOR=$(EMULATOR) localstack/emulator.sh status >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory emulator-up; started=1; \
	fi; \
	rc=0; \
	printf '\033[1m==> fault matrix and soak through the stack at $(ENDPOINT)\033[0m\n'; \
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_TERRAFORM=$(TERRAFORM) \
	PORTICO_BACKEND_HOST=$(BACKEND_HOST) PORTICO_BACKEND_BIND=$(BACKEND_BIND) PORTICO_LAMBDA_ARCH=$(LAMBDA_ARCH) \
	PORTICO_AUTHORIZER_ZIP=$(BUILD)/local/authorizer.zip PORTICO_AGGREGATOR_ZIP=$(BUILD)/local/aggregator.zip \
	  $(GO) run ./localstack/cmd/reliability -out RELIABILITY.md -simulation $(STATE)/reliability/simulation.md \
	    -soak $(SOAK) -rate $(RELIABILITY_RATE) $(if $(ROWS),-rows $(ROWS),) -emulator "$(EMULATOR) $(if $(filter ministack,$(EMULATOR)),$(MINISTACK_VERSION),)" || rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) --no-print-directory emulator-down; fi; \
	exit $$rc

.PHONY: mesh-demo
mesh-demo: mesh-proxy $(RIE) ## The mesh for any language against a running emulator (make emulator-up): a Python function with the extension, Python → Node.js through sidecars.
	$(call step,portico-mesh: a Python Lambda function with the extension; a Python service calling a Node.js service through sidecars)
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_MESH_BIN=$(MESH_BIN) PORTICO_RIE=$(RIE) \
	  $(GO) test -tags e2e -count=1 -v -run 'TestLambdaExtension|TestSidecar' ./tests/meshproxy/

.PHONY: bench-mesh
bench-mesh: mesh-proxy $(RIE) ## portico-mesh's cost: proxy beside library (interleaved), extension cold start under the RIE (needs a running emulator).
	$(call step,portico-mesh: added latency per call, beside the library in-process)
	$(GO) test -run '^$$' -bench ProxyOverhead -benchmem -benchtime 4000x -count 6 ./internal/meshproxy/
	$(call step,portico-mesh: cold start under aws-lambda-rie)
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_MESH_BIN=$(MESH_BIN) PORTICO_RIE=$(RIE) \
	  $(GO) test -tags e2e -run '^$$' -bench ColdStart -benchtime 10x -count 3 ./tests/meshproxy/

## ---- benchmarks ---------------------------------------------------------

BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCH_COUNT ?= 10
BENCH_OUT := $(STATE)/bench

.PHONY: bench
bench: bench-go bench-size bench-lambda ## The in-repo benchmark suites, summarised with benchstat (BENCHMARKS.md says what each row is).

# bench-go runs each suite into $(BENCH_OUT) and prints benchstat's summary:
# medians with 95 % confidence intervals over the -count rounds; where a
# suite measures a variant beside its baseline (sub-benchmarks named
# key=value), the baseline's column comes first and the ratio after it.
.PHONY: bench-go
bench-go: ## The offline suites: request path, gRPC transcoding, authorizer, mesh client, limits, cache, configuration reads.
	$(call step,request path and gRPC transcoding (-count $(BENCH_COUNT)))
	@mkdir -p $(BENCH_OUT)
	$(GO) test -run '^$$' -bench 'Gateway|Loopback|Lookup1000|Clean' -benchmem -count $(BENCH_COUNT) ./internal/gateway/ ./internal/route/ > $(BENCH_OUT)/gateway.txt
	$(GO) test -run '^$$' -bench 'Translate|Transcode|HTTPProxy' -benchmem -benchtime 2000x -count $(BENCH_COUNT) ./pkg/transcode/ > $(BENCH_OUT)/transcode.txt
	@$(BENCHSTAT) $(BENCH_OUT)/gateway.txt
	@$(BENCHSTAT) -filter '-.name:/^Translate$$/' $(BENCH_OUT)/transcode.txt
	@$(BENCHSTAT) -filter '.name:/^Translate$$/' -col /path $(BENCH_OUT)/transcode.txt
	$(call step,authorizer; mesh client; limits; cache; configuration reads)
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./internal/authorizer/ > $(BENCH_OUT)/authorizer.txt
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./pkg/mesh/ > $(BENCH_OUT)/mesh.txt
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20000x -count 3 ./pkg/ratelimit/dynamo/ ./internal/cache/ ./internal/config/ > $(BENCH_OUT)/stores.txt
	@$(BENCHSTAT) $(BENCH_OUT)/authorizer.txt
	@$(BENCHSTAT) $(BENCH_OUT)/mesh.txt
	@$(BENCHSTAT) $(BENCH_OUT)/stores.txt

.PHONY: bench-size
bench-size: ## The functions' bootstrap sizes, stripped, for arm64 and x86_64.
	$(call step,bootstrap sizes: stripped; built as make lambdas builds them)
	@mkdir -p $(BENCH_OUT)/size
	@for arch in arm64 amd64; do for fn in authorizer aggregator; do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build $(GOFLAGS_LAMBDA) -o $(BENCH_OUT)/size/$$fn-$$arch ./functions/$$fn || exit 1; \
	  printf '%-10s %-6s %10d bytes\n' $$fn $$arch $$(stat -c %s $(BENCH_OUT)/size/$$fn-$$arch); \
	done; done

# bench-lambda starts the emulator when it is not running (and stops it
# after), as e2e does.
.PHONY: bench-lambda
bench-lambda: tools lambdas tls $(RIE) ## Cold start and warm cost of the aggregator under the Lambda RIE, beside a bare Go function.
	$(call step,cold start and warm cost under aws-lambda-rie against $(EMULATOR) at $(ENDPOINT))
	@mkdir -p $(BENCH_OUT)
	@started=0; \
	if ! EMULATOR=$(EMULATOR) localstack/emulator.sh status >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory emulator-up; started=1; \
	fi; \
	rc=0; \
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_RIE=$(RIE) PORTICO_AGGREGATOR_ZIP=$(BUILD)/local/aggregator.zip \
	  $(GO) test -tags e2e -run '^$$' -bench ColdStart -benchtime 20x -count 3 -timeout 20m ./tests/coldstart/ > $(BENCH_OUT)/coldstart.txt || rc=$$?; \
	PORTICO_ENDPOINT=$(ENDPOINT) PORTICO_CA_CERT=$(CA_CERT) PORTICO_RIE=$(RIE) PORTICO_AGGREGATOR_ZIP=$(BUILD)/local/aggregator.zip \
	  $(GO) test -tags e2e -run '^$$' -bench Warm -benchtime 1x -count 1 -timeout 20m ./tests/coldstart/ > $(BENCH_OUT)/warm.txt || rc=$$?; \
	if [ $$started = 1 ]; then $(MAKE) --no-print-directory emulator-down; fi; \
	if [ $$rc != 0 ]; then cat $(BENCH_OUT)/coldstart.txt $(BENCH_OUT)/warm.txt; exit $$rc; fi; \
	grep -h 'AWS calls' $(BENCH_OUT)/coldstart.txt | sort -u; \
	$(BENCHSTAT) $(BENCH_OUT)/coldstart.txt; $(BENCHSTAT) $(BENCH_OUT)/warm.txt

.PHONY: bench-coldstart
bench-coldstart: lambdas ## Cold start of the authorizer under the Lambda Runtime Interface Emulator.
	$(call step,cold start under aws-lambda-rie)
	@test -x $(TOOLS)/bin/aws-lambda-rie || GOBIN=$(TOOLS)/bin $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	@ls -l $(BUILD)/local/authorizer/bootstrap | awk '{printf "bootstrap size (host arch): %d bytes\n", $$5}'
	$(GO) run ./localstack/cmd/coldstart -rie $(TOOLS)/bin/aws-lambda-rie -bootstrap $(BUILD)/local/authorizer/bootstrap -runs 30

.PHONY: fmt
fmt: ## gofmt and terraform fmt.
	gofmt -w $$(git ls-files '*.go')
	$(TERRAFORM) fmt -recursive terraform

.PHONY: clean
clean: demo-down ## Stop everything and remove .portico (keeps .tools).
	rm -rf $(STATE)
