package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	costaws "costbot/aws"
	"costbot/config"
	"costbot/jobs"
	"costbot/models"
	"costbot/pricing"
)

// scanDocument is what `costbot scan --json` prints.
type scanDocument struct {
	ScannedAt time.Time             `json:"scanned_at"`
	Account   string                `json:"account"`
	Regions   []string              `json:"regions"`
	Resources []scanResource        `json:"resources"`
	Errors    []costaws.TaskError   `json:"errors"`
	Totals    pricing.Totals        `json:"totals"`
	Pricing   scanPricingStatistics `json:"pricing"`
}

type scanResource struct {
	Service     string             `json:"service"`
	Region      string             `json:"region"`
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Kind        string             `json:"kind"`
	Type        string             `json:"type"`
	State       string             `json:"state"`
	Waste       bool               `json:"waste"`
	WasteReason string             `json:"waste_reason,omitempty"`
	Attrs       map[string]string  `json:"attrs,omitempty"`
	Usage       map[string]float64 `json:"usage"`
	HourlyUSD   *float64           `json:"hourly_usd"` // null when unpriced
	MonthlyUSD  *float64           `json:"monthly_usd"`
	PriceSource string             `json:"price_source"`
	Note        string             `json:"note,omitempty"`
	Warning     string             `json:"warning,omitempty"` // an upper bound, Extended Support to upgrade away from
}

type scanPricingStatistics struct {
	APICalls int64 `json:"api_calls"`
}

func cmdScan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON document")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, code := loadConfig(stderr)
	if cfg == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	defer store.Close()
	doc, err := scanAndPrice(ctx, cfg, store)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintln(stderr, "costbot:", err)
			return 1
		}
		return 0
	}
	printScanTable(stdout, doc)
	return 0
}

// scanAndPrice runs one scan of the account and prices it.
func scanAndPrice(ctx context.Context, cfg *config.Config, store *models.Store) (*scanDocument, error) {
	awsCfg, err := costaws.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	res, err := newScanner(cfg, newResolver(cfg, awsCfg)).Scan(ctx)
	if err != nil {
		return nil, err
	}
	applyPool := jobs.ApplyLightsailPool
	if res.PerAccount {
		applyPool = jobs.ApplyLightsailPoolByAccount
	}
	if err := applyPool(ctx, store, res.Resources, time.Now()); err != nil {
		return nil, err
	}
	pricer := newPricer(cfg, store, awsCfg)
	priced, _, err := pricer.PriceScan(ctx, res.Resources, nil)
	if err != nil {
		return nil, err
	}
	doc := &scanDocument{
		ScannedAt: res.ScannedAt,
		Account:   res.Account,
		Regions:   res.Regions,
		Resources: make([]scanResource, 0, len(priced)),
		Errors:    res.Errors,
		Totals:    pricing.TotalsOf(priced),
		Pricing:   scanPricingStatistics{APICalls: pricer.Calls()},
	}
	if doc.Account == "" { // several accounts: name them all
		for _, a := range res.Accounts {
			doc.Account = strings.TrimPrefix(doc.Account+","+a.Account.ID, ",")
		}
	}
	if doc.Errors == nil {
		doc.Errors = []costaws.TaskError{}
	}
	for _, pr := range priced {
		doc.Resources = append(doc.Resources, toScanResource(pr))
	}
	return doc, nil
}

func toScanResource(pr models.PricedResource) scanResource {
	sr := scanResource{
		Service: pr.Service, Region: pr.Region, ID: pr.ID, Name: pr.Name, Kind: pr.Kind, Type: pr.Type,
		State: pr.State, Waste: pr.Waste, WasteReason: pr.WasteReason, Attrs: pr.Attrs, Usage: pr.Usage,
		PriceSource: pr.Source, Note: pr.Note, Warning: pr.Warning,
	}
	if sr.Usage == nil {
		sr.Usage = map[string]float64{}
	}
	if pr.Priced {
		h, m := pr.HourlyUSD, pr.MonthlyUSD
		sr.HourlyUSD, sr.MonthlyUSD = &h, &m
	} else {
		sr.PriceSource = "unpriced"
	}
	return sr
}

func printScanTable(w io.Writer, doc *scanDocument) {
	fmt.Fprintf(w, "Account %s, scanned %s, regions %s\n", doc.Account, doc.ScannedAt.Format(time.RFC3339), strings.Join(doc.Regions, ", "))
	byService := map[string][]scanResource{}
	var services []string
	for _, r := range doc.Resources {
		if _, ok := byService[r.Service]; !ok {
			services = append(services, r.Service)
		}
		byService[r.Service] = append(byService[r.Service], r)
	}
	for _, svc := range services {
		rs := byService[svc]
		t := doc.Totals.ByService[svc]
		fmt.Fprintf(w, "\n== %s: %d resources, $%.4f/h, $%.2f/month", svc, t.Count, t.HourlyUSD, t.MonthlyUSD)
		if t.Unpriced > 0 {
			fmt.Fprintf(w, " (%d unpriced)", t.Unpriced)
		}
		fmt.Fprintln(w)
		sort.SliceStable(rs, func(i, j int) bool { return costOf(rs[i]) > costOf(rs[j]) })
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "REGION\tID\tNAME\tTYPE\tSTATE\tHOURLY\tMONTHLY\tSOURCE\tWASTE / NOTE")
		for _, r := range rs {
			hourly, monthly := "unpriced", "unpriced"
			if r.HourlyUSD != nil {
				hourly, monthly = fmt.Sprintf("$%.4f", *r.HourlyUSD), fmt.Sprintf("$%.2f", *r.MonthlyUSD)
			}
			waste := ""
			if r.Waste {
				waste = "waste: " + r.WasteReason
			}
			switch {
			case r.HourlyUSD == nil:
				waste = strings.TrimPrefix(waste+"; unpriced: "+r.Note, "; ")
			case r.Warning != "":
				waste = strings.TrimPrefix(waste+"; "+r.Warning, "; ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Region, r.ID, r.Name, r.Type, r.State, hourly, monthly, r.PriceSource, waste)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nTotal: %d resources, $%.4f/h, $%.2f/month", doc.Totals.Count, doc.Totals.HourlyUSD, doc.Totals.MonthlyUSD)
	if doc.Totals.Unpriced > 0 {
		fmt.Fprintf(w, ", %d unpriced", doc.Totals.Unpriced)
	}
	fmt.Fprintf(w, " (prices: %s; %d Pricing API calls)\n", doc.Totals.Source, doc.Pricing.APICalls)
	if len(doc.Errors) > 0 {
		fmt.Fprintln(w, "\nNot scanned:")
		for _, e := range doc.Errors {
			fmt.Fprintf(w, "  %s %s: %s\n", e.Service, e.Region, e.Error)
		}
	}
}

func costOf(r scanResource) float64 {
	if r.HourlyUSD == nil {
		return -1
	}
	return *r.HourlyUSD
}

func cmdClearCache(_ []string, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(stderr)
	if cfg == nil {
		return code
	}
	store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	defer store.Close()
	n, err := store.ClearPrices(context.Background())
	if err != nil {
		fmt.Fprintln(stderr, "costbot:", err)
		return 1
	}
	fmt.Fprintf(stdout, "price cache cleared: %d entries removed\n", n)
	return 0
}
