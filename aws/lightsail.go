package aws

import (
	"context"
	"fmt"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lightsail"
	lstypes "github.com/aws/aws-sdk-go-v2/service/lightsail/types"
	"golang.org/x/sync/errgroup"

	"costbot/models"
)

// LightsailRegions are the regions where Lightsail exists.
var LightsailRegions = []string{
	"us-east-1", "us-east-2", "us-west-2", "ca-central-1",
	"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
}

// lightsailInstancesAPI lists instances; both the collector and the guard need it.
type lightsailInstancesAPI interface {
	GetInstances(ctx context.Context, in *lightsail.GetInstancesInput, optFns ...func(*lightsail.Options)) (*lightsail.GetInstancesOutput, error)
}

// lightsailAPI is the part of Lightsail the collector reads.
type lightsailAPI interface {
	lightsailInstancesAPI
	GetBundles(ctx context.Context, in *lightsail.GetBundlesInput, optFns ...func(*lightsail.Options)) (*lightsail.GetBundlesOutput, error)
	GetStaticIps(ctx context.Context, in *lightsail.GetStaticIpsInput, optFns ...func(*lightsail.Options)) (*lightsail.GetStaticIpsOutput, error)
	GetDisks(ctx context.Context, in *lightsail.GetDisksInput, optFns ...func(*lightsail.Options)) (*lightsail.GetDisksOutput, error)
	lightsailSnapshotsAPI
	lightsailMetricsAPI
}

// lightsailCollector lists Lightsail instances (with their plan's price, transfer
// allowance and this month's traffic in and out, which the overage beyond the allowance
// is priced from), static IPs and block-storage disks.
type lightsailCollector struct {
	newAPI func(cfg awssdk.Config) lightsailAPI
	now    func() time.Time // nil: time.Now
}

func init() {
	register(&lightsailCollector{newAPI: func(cfg awssdk.Config) lightsailAPI { return lightsail.NewFromConfig(cfg) }, now: time.Now})
}

func (*lightsailCollector) Name() string { return "lightsail" }
func (*lightsailCollector) Global() bool { return false }

// Regions keeps the configured regions where Lightsail exists.
func (*lightsailCollector) Regions(configured []string) []string {
	return intersect(configured, LightsailRegions)
}

func (c *lightsailCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	api := c.newAPI(cfg)
	// The listings are independent: read them at the same time.
	var (
		bundles   []lstypes.Bundle
		instances []lstypes.Instance
		ips       []lstypes.StaticIp
		disks     []lstypes.Disk
		snapshots []models.Resource
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		snapshots, err = lightsailSnapshots(gctx, api, cfg.Region)
		return err
	})
	g.Go(func() (err error) {
		bundles, err = getAllPages(gctx, func(ctx context.Context, token *string) ([]lstypes.Bundle, *string, error) {
			out, err := api.GetBundles(ctx, &lightsail.GetBundlesInput{IncludeInactive: awssdk.Bool(true), PageToken: token})
			if err != nil {
				return nil, nil, err
			}
			return out.Bundles, out.NextPageToken, nil
		})
		if err != nil {
			return fmt.Errorf("lightsail %s: get bundles: %w", cfg.Region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if instances, err = getLightsailInstances(gctx, api); err != nil {
			return fmt.Errorf("lightsail %s: get instances: %w", cfg.Region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		ips, err = getAllPages(gctx, func(ctx context.Context, token *string) ([]lstypes.StaticIp, *string, error) {
			out, err := api.GetStaticIps(ctx, &lightsail.GetStaticIpsInput{PageToken: token})
			if err != nil {
				return nil, nil, err
			}
			return out.StaticIps, out.NextPageToken, nil
		})
		if err != nil {
			return fmt.Errorf("lightsail %s: get static IPs: %w", cfg.Region, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		disks, err = getAllPages(gctx, func(ctx context.Context, token *string) ([]lstypes.Disk, *string, error) {
			out, err := api.GetDisks(ctx, &lightsail.GetDisksInput{PageToken: token})
			if err != nil {
				return nil, nil, err
			}
			return out.Disks, out.NextPageToken, nil
		})
		if err != nil {
			return fmt.Errorf("lightsail %s: get disks: %w", cfg.Region, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := lightsailInstanceResources(instances, bundlePrices(bundles), cfg.Region)
	if err := c.readTraffic(ctx, api, cfg.Region, out); err != nil {
		return nil, err
	}
	out = append(out, staticIPResources(ips, cfg.Region)...)
	out = append(out, diskResources(disks, cfg.Region)...)
	return append(out, snapshots...), nil
}

// readTraffic sets each instance's bytes_in_month and bytes_out_month: NetworkIn and
// NetworkOut since the 1st of the month (UTC, the allowance's cycle) or the instance's
// creation, as the guard reads them, at most metricFetchLimit instances at a time. The
// overage beyond the allowance is priced from these month-to-date figures, so a first
// scan in mid-month counts the month from its start.
func (c *lightsailCollector) readTraffic(ctx context.Context, api lightsailMetricsAPI, region string, instances []models.Resource) error {
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	end := now().UTC()
	start := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(metricFetchLimit)
	for i := range instances {
		r := &instances[i]
		g.Go(func() error {
			in, out, err := lightsailNetworkBytes(gctx, api, region, r.ID, start, end)
			if err != nil {
				return err
			}
			r.Usage["bytes_in_month"], r.Usage["bytes_out_month"] = in, out
			return nil
		})
	}
	return g.Wait()
}

// getAllPages follows Lightsail's pageToken/nextPageToken paging (the SDK has no
// paginators for Lightsail). A token seen twice ends the listing rather than looping.
func getAllPages[T any](ctx context.Context, page func(ctx context.Context, token *string) ([]T, *string, error)) ([]T, error) {
	var out []T
	var token *string
	seen := map[string]bool{}
	for {
		items, next, err := page(ctx, token)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		n := awssdk.ToString(next)
		if n == "" || seen[n] {
			return out, nil
		}
		seen[n] = true
		token = awssdk.String(n)
	}
}

func getLightsailInstances(ctx context.Context, api lightsailInstancesAPI) ([]lstypes.Instance, error) {
	return getAllPages(ctx, func(ctx context.Context, token *string) ([]lstypes.Instance, *string, error) {
		out, err := api.GetInstances(ctx, &lightsail.GetInstancesInput{PageToken: token})
		if err != nil {
			return nil, nil, err
		}
		return out.Instances, out.NextPageToken, nil
	})
}

// bundlePrices maps bundle ids to their monthly price in USD.
func bundlePrices(bundles []lstypes.Bundle) map[string]float64 {
	out := make(map[string]float64, len(bundles))
	for _, b := range bundles {
		if b.BundleId != nil && b.Price != nil {
			// Price is a float32 on the wire; going through its shortest decimal form
			// keeps 3.5 as 3.5 and 0.1 as 0.1 rather than 0.10000000149.
			out[*b.BundleId] = float32ToFloat64(*b.Price)
		}
	}
	return out
}

func float32ToFloat64(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

// lightsailInstanceResources turns instances into resources; prices maps bundle ids to
// their monthly price (an instance whose bundle has no price has no bundle_price_usd_month).
func lightsailInstanceResources(instances []lstypes.Instance, prices map[string]float64, region string) []models.Resource {
	out := make([]models.Resource, 0, len(instances))
	for _, in := range instances {
		bundle := awssdk.ToString(in.BundleId)
		r := models.Resource{
			Service: "lightsail",
			Region:  region,
			ID:      awssdk.ToString(in.Name),
			Name:    awssdk.ToString(in.Name),
			Kind:    models.KindInstance,
			Type:    bundle,
			State:   lightsailStateName(in.State),
			Attrs: map[string]string{
				"blueprint": awssdk.ToString(in.BlueprintId),
				"zone":      lightsailZone(in.Location),
				"arn":       awssdk.ToString(in.Arn),
			},
			Usage: map[string]float64{"transfer_allowance_gb": transferAllowanceGB(in)},
		}
		if price, ok := prices[bundle]; ok {
			r.Usage["bundle_price_usd_month"] = price
		}
		if in.CreatedAt != nil {
			r.CreatedAt = in.CreatedAt.UTC()
		}
		out = append(out, r)
	}
	return out
}

// staticIPResources turns static IPs into resources; one attached to nothing is waste.
func staticIPResources(ips []lstypes.StaticIp, region string) []models.Resource {
	out := make([]models.Resource, 0, len(ips))
	for _, ip := range ips {
		r := models.Resource{
			Service: "lightsail",
			Region:  region,
			ID:      awssdk.ToString(ip.Name),
			Name:    awssdk.ToString(ip.Name),
			Kind:    models.KindStaticIP,
			Type:    "static-ip",
			State:   "detached",
			Attrs: map[string]string{
				"public_ip":   awssdk.ToString(ip.IpAddress),
				"attached_to": awssdk.ToString(ip.AttachedTo),
			},
			Usage: map[string]float64{},
		}
		if awssdk.ToBool(ip.IsAttached) {
			r.State = "attached"
		} else {
			r.Waste, r.WasteReason = true, "static IP not attached to an instance"
		}
		if ip.CreatedAt != nil {
			r.CreatedAt = ip.CreatedAt.UTC()
		}
		out = append(out, r)
	}
	return out
}

// diskResources turns block-storage disks into resources (system disks are part of the
// instance's plan and skipped); one attached to nothing is waste.
func diskResources(disks []lstypes.Disk, region string) []models.Resource {
	out := make([]models.Resource, 0, len(disks))
	for _, d := range disks {
		if awssdk.ToBool(d.IsSystemDisk) {
			continue
		}
		r := models.Resource{
			Service: "lightsail",
			Region:  region,
			ID:      awssdk.ToString(d.Name),
			Name:    awssdk.ToString(d.Name),
			Kind:    models.KindDisk,
			Type:    "disk",
			State:   string(d.State),
			Attrs: map[string]string{
				"attached_to": awssdk.ToString(d.AttachedTo),
				"zone":        lightsailZone(d.Location),
			},
			Usage: map[string]float64{"size_gb": float64(awssdk.ToInt32(d.SizeInGb))},
		}
		if !awssdk.ToBool(d.IsAttached) {
			r.Waste, r.WasteReason = true, "disk not attached to an instance"
		}
		if d.CreatedAt != nil {
			r.CreatedAt = d.CreatedAt.UTC()
		}
		out = append(out, r)
	}
	return out
}

func transferAllowanceGB(in lstypes.Instance) float64 {
	if in.Networking == nil || in.Networking.MonthlyTransfer == nil {
		return 0
	}
	return float64(awssdk.ToInt32(in.Networking.MonthlyTransfer.GbPerMonthAllocated))
}

func lightsailStateName(s *lstypes.InstanceState) string {
	if s == nil {
		return ""
	}
	return awssdk.ToString(s.Name)
}

func lightsailZone(l *lstypes.ResourceLocation) string {
	if l == nil {
		return ""
	}
	return awssdk.ToString(l.AvailabilityZone)
}

// NewLightsailCollector is the Lightsail collector on its own clock, for a scan run at a
// simulated time (Scanner.Collectors).
func NewLightsailCollector(now func() time.Time) Collector {
	return &lightsailCollector{newAPI: func(cfg awssdk.Config) lightsailAPI { return lightsail.NewFromConfig(cfg) }, now: now}
}
