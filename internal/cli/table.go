package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/portico-gw/portico/internal/awsconfig"
)

// TableAPI is the part of the DynamoDB client usage and keys read the state
// table with: keys scans the apikey# items (there is no index of keys), usage
// reads counters by key only.
type TableAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// openTable is Env.Table, or DynamoDB with the SDK's default credentials and
// region, AWS_ENDPOINT_URL and AWS_CA_BUNDLE for an emulator.
func openTable(ctx context.Context, env Env) (TableAPI, error) {
	if env.Table != nil {
		return env.Table(ctx)
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// tableName is --table, else PORTICO_TABLE.
func tableName(env Env, flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if t := env.Getenv("PORTICO_TABLE"); t != "" {
		return t, nil
	}
	return "", usageError("name the state table with --table or PORTICO_TABLE")
}
