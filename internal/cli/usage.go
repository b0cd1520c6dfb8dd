package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portico-gw/portico/internal/usage"
	usagedynamo "github.com/portico-gw/portico/internal/usage/dynamo"
)

// runUsage reads the hourly usage counters the aggregator keeps (package
// usage): per API key, tenant or route, summed over a time range or hour by
// hour, with each key's and tenant's requests per route.
func runUsage(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "usage", "[--table NAME] [--from TIME] [--to TIME] [--by key|tenant|route] [--key ID]... [--tenant T]... [--route R]...\n\n"+
		"Reads the hourly usage counters of a state table (written when the limits document has a usage\n"+
		"section) by key: the hours' index items, then the counters they list; nothing is scanned.\n"+
		"TIME is RFC 3339 (2026-01-31T15:04:05Z), a date (2026-01-31) or an hour (2026-01-31T15), UTC.\n"+
		"Credentials: the AWS SDK's default chain; AWS_ENDPOINT_URL for an emulator.")
	table := fs.String("table", "", "the state table (default $PORTICO_TABLE)")
	fromFlag := fs.String("from", "", "first hour (default: 24 hours before --to)")
	toFlag := fs.String("to", "", "last hour, included (default: now)")
	by := fs.String("by", "", "list every key, tenant or route counted (default key, or the kind of the IDs given)")
	var keys, tenants, routes multi
	fs.Var(&keys, "key", "an API key's ID (portico keys lists them; repeatable)")
	fs.Var(&tenants, "tenant", "a tenant, the value of the usage claim (repeatable)")
	fs.Var(&routes, "route", "a route's id (repeatable)")
	hourly := fs.Bool("hourly", false, "one line per hour instead of totals over the range")
	asJSON := fs.Bool("json", false, "print JSON rows")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("unexpected arguments %q", pos)
	}
	kind, ids, err := usageSelection(*by, keys, tenants, routes)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	to, from := now, time.Time{}
	if *toFlag != "" {
		if to, err = parseTime(*toFlag); err != nil {
			return err
		}
	}
	if *fromFlag != "" {
		if from, err = parseTime(*fromFlag); err != nil {
			return err
		}
	} else {
		from = to.Add(-23 * time.Hour)
	}
	if to.Before(from) {
		return usageError("--to %s is before --from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	name, err := tableName(env, *table)
	if err != nil {
		return err
	}
	api, err := openTable(ctx, env)
	if err != nil {
		return err
	}
	store, err := usagedynamo.New(api, name, 0)
	if err != nil {
		return err
	}
	rows, err := store.Read(ctx, from, to, kind, ids)
	if err != nil {
		return err
	}
	if !*hourly {
		rows = sumRows(rows)
	}
	if *asJSON {
		type jsonRow struct {
			Hour   *time.Time       `json:"hour,omitempty"`
			Kind   usage.Kind       `json:"kind"`
			ID     string           `json:"id"`
			Total  int64            `json:"requests"`
			Routes map[string]int64 `json:"routes,omitempty"`
		}
		out := []jsonRow{}
		for _, r := range rows {
			jr := jsonRow{Kind: r.Kind, ID: r.ID, Total: r.Total, Routes: r.Routes}
			if *hourly {
				h := r.Hour
				jr.Hour = &h
			}
			out = append(out, jr)
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(env.Stdout, "requests per %s, hours %s to %s (UTC)\n", kind,
		from.Truncate(time.Hour).Format("2006-01-02T15:04"), to.Truncate(time.Hour).Add(time.Hour-time.Minute).Format("2006-01-02T15:04"))
	tw := tabwriter.NewWriter(env.Stdout, 2, 8, 2, ' ', 0)
	if *hourly {
		fmt.Fprintf(tw, "HOUR\t%s\tREQUESTS\tPER ROUTE\n", strings.ToUpper(string(kind)))
	} else {
		fmt.Fprintf(tw, "%s\tREQUESTS\tPER ROUTE\n", strings.ToUpper(string(kind)))
	}
	var total int64
	for _, r := range rows {
		var per []string
		for _, route := range slices.Sorted(maps.Keys(r.Routes)) {
			per = append(per, fmt.Sprintf("%s %d", route, r.Routes[route]))
		}
		if *hourly {
			fmt.Fprintf(tw, "%s\t", r.Hour.Format("2006-01-02T15"))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", r.ID, r.Total, strings.Join(per, ", "))
		total += r.Total
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "total %d\n", total)
	return nil
}

// usageSelection is the kind of counter to read and the IDs asked for (none:
// every ID of the kind).
func usageSelection(by string, keys, tenants, routes []string) (usage.Kind, []string, error) {
	given := 0
	var kind usage.Kind
	var ids []string
	for _, sel := range []struct {
		k   usage.Kind
		ids []string
	}{{usage.Key, keys}, {usage.Tenant, tenants}, {usage.Route, routes}} {
		if len(sel.ids) > 0 {
			given++
			kind, ids = sel.k, sel.ids
		}
	}
	switch {
	case given > 1:
		return "", nil, usageError("give IDs of one kind: --key, --tenant or --route")
	case by != "" && !slices.Contains(usage.Kinds, usage.Kind(by)):
		return "", nil, usageError("--by %q: want key, tenant or route", by)
	case by != "" && given == 1 && usage.Kind(by) != kind:
		return "", nil, usageError("--by %s and --%s disagree", by, kind)
	case given == 1:
		return kind, ids, nil
	case by != "":
		return usage.Kind(by), nil, nil
	}
	return usage.Key, nil, nil
}

// parseTime reads RFC 3339, a date, or a date and hour, in UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, usageError("time %q: want RFC 3339 (2026-01-31T15:04:05Z), a date (2026-01-31) or an hour (2026-01-31T15)", s)
}

// sumRows adds up the rows of each ID over the hours, sorted by ID.
func sumRows(rows []usage.Row) []usage.Row {
	byID := map[string]*usage.Row{}
	for _, r := range rows {
		s := byID[r.ID]
		if s == nil {
			s = &usage.Row{Kind: r.Kind, ID: r.ID}
			byID[r.ID] = s
		}
		s.Total += r.Total
		for route, n := range r.Routes {
			if s.Routes == nil {
				s.Routes = map[string]int64{}
			}
			s.Routes[route] += n
		}
	}
	out := make([]usage.Row, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		out = append(out, *byID[id])
	}
	return out
}
