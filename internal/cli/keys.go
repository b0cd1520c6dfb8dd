package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/statetable"
)

// keyRow is one API key as keys lists it: never the key itself, which the
// table does not hold.
type keyRow struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	Tier    string `json:"tier"`
	Enabled bool   `json:"enabled"`
}

// runKeys lists the API keys of a state table: name, public ID (the first 16
// hex digits of the key's SHA-256, what backends see as X-Api-Key-Id and
// usage counts by), tier and whether it is enabled.
func runKeys(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "keys", "[--table NAME] [--json]\n\n"+
		"Lists the API keys (portico_api_key) of a state table. The table has no index of keys, so this\n"+
		"scans it, reading only apikey# items' names, tiers and states (a scan reads the whole table's\n"+
		"capacity). Credentials: the AWS SDK's default chain; AWS_ENDPOINT_URL for an emulator.")
	table := fs.String("table", "", "the state table (default $PORTICO_TABLE)")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("unexpected arguments %q", pos)
	}
	name, err := tableName(env, *table)
	if err != nil {
		return err
	}
	api, err := openTable(ctx, env)
	if err != nil {
		return err
	}
	var rows []keyRow
	in := &dynamodb.ScanInput{
		TableName:                aws.String(name),
		FilterExpression:         aws.String("begins_with(#pk, :p)"),
		ProjectionExpression:     aws.String("#pk, #name, #tier, #enabled"),
		ExpressionAttributeNames: map[string]string{"#pk": statetable.KeyAttr, "#name": statetable.APIKeyNameAttr, "#tier": statetable.APIKeyTierAttr, "#enabled": statetable.APIKeyEnabledAttr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":p": &ddbtypes.AttributeValueMemberS{Value: statetable.APIKeyPrefix},
		},
	}
	for {
		out, err := api.Scan(ctx, in)
		if err != nil {
			return fmt.Errorf("scan %s: %w", name, err)
		}
		for _, item := range out.Items {
			str := func(k string) string {
				v, _ := item[k].(*ddbtypes.AttributeValueMemberS)
				if v == nil {
					return ""
				}
				return v.Value
			}
			hash := strings.TrimPrefix(str(statetable.KeyAttr), statetable.APIKeyPrefix)
			enabled, _ := item[statetable.APIKeyEnabledAttr].(*ddbtypes.AttributeValueMemberBOOL)
			rows = append(rows, keyRow{Name: str(statetable.APIKeyNameAttr), ID: hash[:min(16, len(hash))],
				Tier: str(statetable.APIKeyTierAttr), Enabled: enabled != nil && enabled.Value})
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	slices.SortFunc(rows, func(a, b keyRow) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) })
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []keyRow{}
		}
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tID\tTIER\tENABLED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", r.Name, r.ID, r.Tier, r.Enabled)
	}
	tw.Flush()
	fmt.Fprintf(env.Stderr, "%d key(s) in %s\n", len(rows), name)
	return nil
}
