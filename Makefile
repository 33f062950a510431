# Fangxian's two commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_HOME := $(CURDIR)/.cache/cdk-home
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export REDOCLY_TELEMETRY := off

CDK := npx --no-install cdk
REDOCLY := npx --no-install redocly

.PHONY: run test check vet lint-api console-test types browser unit fuzz infra-test synth stacks bench deploy

## run: the whole stack on this machine, on http://localhost:8080 (PORT changes it)
run:
	@mkdir -p .cache/bin
	go build -o .cache/bin/fangxian-local ./cmd/local
	@exec .cache/bin/fangxian-local

## test: every test, against one DynamoDB Local, then a synth of both stages
test: node_modules/.package-lock.json
	go run ./cmd/withdynamodb -- $(MAKE) --no-print-directory check

check: vet lint-api console-test unit fuzz infra-test synth stacks

vet:
	@unformatted=$$(gofmt -l $$(go list -f '{{.Dir}}' ./...)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...

# The API document: redocly's recommended rules, with no warning left.
lint-api: node_modules/.package-lock.json
	@mkdir -p .cache
	$(REDOCLY) lint --max-problems 50 shared/openapi/openapi.json > .cache/redocly.log 2>&1 || { cat .cache/redocly.log; exit 1; }
	@! grep -qE "You have [0-9]+ (warning|error)" .cache/redocly.log || { cat .cache/redocly.log; exit 1; }
	@echo "lint-api: shared/openapi/openapi.json is valid, no warning"

# The console (console/): its types against the API's document, its unit
# tests; its browser suite runs with cmd/local's tests (unit), in Debian's
# chromium.
CONSOLE_TYPES := .cache/console/schema.d.ts
console-test: console/node_modules/.package-lock.json browser
	cd console && npx --no-install vue-tsc --noEmit && npx --no-install vitest run
	@mkdir -p .cache/console
	cd console && npx --no-install openapi-typescript ../shared/openapi/openapi.json -o ../$(CONSOLE_TYPES) > /dev/null
	@cmp -s console/src/api/schema.d.ts $(CONSOLE_TYPES) || { echo "console/src/api/schema.d.ts is stale: make types"; exit 1; }
	@echo "console-test: types fresh, type-checked, unit tests passed"

console/node_modules/.package-lock.json: console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel error

## types: the API's document and the console's types from it
types:
	go generate ./shared/openapi
	cd console && npx --no-install openapi-typescript ../shared/openapi/openapi.json -o src/api/schema.d.ts

# The browser the console's suite drives: Debian's chromium (.ci/run
# installs it, with the CJK fonts its screenshots need).
browser:
	@command -v chromium > /dev/null || [ -n "$${CHROMIUM:-}" ] || { echo "the console's browser suite needs Debian's chromium: apt-get install chromium fonts-noto-cjk (or set CHROMIUM)"; exit 1; }

# -race everywhere but the CDK app, whose jsii runtime makes it slow and racy-looking.
# cmd/local replays a day and drives a browser: under -race on 2 cores it
# takes longer than go test's default 10 minutes a package.
unit:
	go test -race -count=1 -timeout 30m $$(go list ./... | grep -v '/infra$$')

# The SMS keyword parser and the inbound decoding, fuzzed briefly (longer:
# FUZZTIME=10m make fuzz). A failing input is kept in testdata/fuzz.
FUZZTIME ?= 15s
fuzz:
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./shared/smsflow/
	go test -run '^$$' -fuzz '^FuzzInboundEvent$$' -fuzztime $(FUZZTIME) ./shared/smsflow/

infra-test:
	go test -count=1 ./infra/...

synth: node_modules/.package-lock.json
	rm -rf cdk.out
	$(CDK) synth --quiet
	$(CDK) synth --quiet -c stage=prod -c alarmEmail=oncall@example.org
	@test -s cdk.out/Fangxian-dev.template.json && test -s cdk.out/Fangxian-prod.template.json
	$(CDK) synth --quiet -c stage=prod -c alarmEmail=oncall@example.org -c partition=aws-cn -c smsProvider=tencent -c tencentSmsAppId=1400000000 -c webDomainName=fangxian.example.com.cn -c webIamCertificateId=ASCAEXAMPLEIAMCERT --output cdk.out/aws-cn
	@test -s cdk.out/aws-cn/Fangxian-prod.template.json
	@# Stacks that could not work are refused: production without an alarm subscriber, China without its SMS application.
	@! $(CDK) synth --quiet -c stage=prod --output .cache/refused > .cache/refused.log 2>&1 || { echo "synth: prod without alarmEmail was not refused"; exit 1; }
	@grep -q alarmEmail .cache/refused.log || { cat .cache/refused.log; exit 1; }
	@! $(CDK) synth --quiet -c stage=prod -c alarmEmail=oncall@example.org -c partition=aws-cn -c webDomainName=fangxian.example.com.cn -c webIamCertificateId=ASCAEXAMPLEIAMCERT --output .cache/refused > .cache/refused.log 2>&1 || { echo "synth: China without its SMS application was not refused"; exit 1; }
	@grep -q TENCENT_SMS_APP_ID .cache/refused.log || { cat .cache/refused.log; exit 1; }
	@! $(CDK) synth --quiet -c stage=prod -c alarmEmail=oncall@example.org -c partition=aws-cn -c smsProvider=tencent -c tencentSmsAppId=1400000000 --output .cache/refused > .cache/refused.log 2>&1 || { echo "synth: China without an ICP-filed domain for CloudFront was not refused"; exit 1; }
	@grep -q webDomainName .cache/refused.log || { cat .cache/refused.log; exit 1; }
	@grep -q '"AWS::CloudFront::Distribution"' cdk.out/Fangxian-dev.template.json && grep -q '"AWS::CloudFront::Distribution"' cdk.out/aws-cn/Fangxian-prod.template.json || { echo "synth: a stack without the console's distribution"; exit 1; }
	@! grep -q 'sms-voice' cdk.out/aws-cn/Fangxian-prod.template.json || { echo "synth: the China stack mentions End User Messaging"; exit 1; }
	@! grep -qE '"arn:aws:' cdk.out/aws-cn/Fangxian-prod.template.json || { echo "synth: the China stack has a global-partition ARN"; exit 1; }
	@echo "synth: Fangxian-dev and Fangxian-prod in cdk.out/, Fangxian-prod for the China regions in cdk.out/aws-cn/"

# Every function of every stack synth made, started with its template's
# environment: one that would die at cold start in the cloud fails here.
stacks:
	go test -tags stacks -count=1 -run '^TestEveryFunctionOfEveryStackStarts$$' ./internal/lambdaharness/

## bench: the benchmarks whose figures are in docs/benchmarks.md
bench:
	go test -run '^$$' -bench ColdStart -benchtime 40x ./internal/lambdaharness/
	go test -run '^$$' -bench Import -benchtime 3x ./internal/demo/
	go test -run '^$$' -bench Surge -benchtime 1x -timeout 30m ./internal/surge/
	go test -run '^$$' -bench Fanout -benchtime 1x ./shared/notices/
	go test -run '^$$' -bench Orders -benchtime 1x -timeout 30m ./shared/supplies/
	go test -run '^$$' -bench Activation -benchtime 1x ./shared/volunteers/
	go test -run '^$$' -bench Inbound -benchtime 1x -timeout 30m ./shared/smsflow/

## deploy: what an operator runs (STAGE=prod for production)
deploy: node_modules/.package-lock.json
	$(CDK) deploy -c stage=$${STAGE:-dev}

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
