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
	"costbot/locale"
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

// scanResource is one resource of `costbot scan --json`: the resource as models writes it
// (its account's ID under "account"), the account's name when known, and its price:
// hourly_usd and monthly_usd are null, and price_source "unpriced", when no price could be
// found.
type scanResource struct {
	models.Resource
	AccountName string   `json:"account_name,omitempty"`
	HourlyUSD   *float64 `json:"hourly_usd"`
	MonthlyUSD  *float64 `json:"monthly_usd"`
	PriceSource string   `json:"price_source"`
	Note        string   `json:"note,omitempty"`
	Warning     string   `json:"warning,omitempty"` // an upper bound, Extended Support to upgrade away from
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
	names := map[string]string{}
	for _, a := range res.Accounts {
		if a.Account.Name != "" {
			names[a.Account.ID] = a.Account.Name
		}
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
		doc.Resources = append(doc.Resources, toScanResource(pr, names[pr.AccountID]))
	}
	return doc, nil
}

func toScanResource(pr models.PricedResource, accountName string) scanResource {
	sr := scanResource{Resource: pr.Resource, AccountName: accountName, PriceSource: pr.Source, Note: pr.Note, Warning: pr.Warning}
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
		fmt.Fprintf(w, "\n== %s: %d resources, %s\n", svc, t.Count, costLine(t.Count, t.Unpriced, t.HourlyUSD, t.MonthlyUSD))
		sort.SliceStable(rs, func(i, j int) bool { return costOf(rs[i]) > costOf(rs[j]) })
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "REGION\tID\tNAME\tTYPE\tSTATE\tHOURLY\tMONTHLY\tSOURCE\tWASTE / NOTE")
		for _, r := range rs {
			hourly, monthly := "unpriced", "unpriced"
			if r.HourlyUSD != nil {
				hourly, monthly = locale.Rate(*r.HourlyUSD), locale.USD(*r.MonthlyUSD)
			}
			waste := ""
			if r.Waste {
				waste = "waste: " + r.WasteReason
			}
			switch {
			case r.HourlyUSD == nil:
				waste = strings.TrimPrefix(strings.TrimSuffix(waste+"; unpriced: "+r.Note, ": "), "; ")
			case r.Warning != "":
				waste = strings.TrimPrefix(waste+"; "+r.Warning, "; ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Region, r.ID, r.Name, r.Type, r.State, hourly, monthly, r.PriceSource, waste)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nTotal: %d resources, %s", doc.Totals.Count, costLine(doc.Totals.Count, doc.Totals.Unpriced, doc.Totals.HourlyUSD, doc.Totals.MonthlyUSD))
	fmt.Fprintf(w, " (prices: %s; %d Pricing API calls)\n", doc.Totals.Source, doc.Pricing.APICalls)
	if len(doc.Errors) > 0 {
		fmt.Fprintln(w, "\nNot scanned:")
		for _, e := range doc.Errors {
			fmt.Fprintf(w, "  %s %s: %s\n", e.Service, e.Region, e.Error)
		}
	}
}

// costLine is what count resources cost, the unpriced ones counted apart: "unpriced"
// alone when none has a price, never $0.00 for what could not be priced.
func costLine(count, unpriced int, hourlyUSD, monthlyUSD float64) string {
	if count > 0 && unpriced == count {
		return "unpriced (see each resource's reason)"
	}
	line := locale.Rate(hourlyUSD) + "/h, " + locale.USD(monthlyUSD) + "/month"
	if unpriced > 0 {
		line += fmt.Sprintf(" + %d unpriced", unpriced)
	}
	return line
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
