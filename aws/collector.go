// Package aws finds the resources an AWS account pays for. One file per service holds a
// collector that lists resources and their usage facts (never prices); scan.go fans the
// collectors out over (service, region); lightsail_ops.go has what the guard needs.
package aws

import (
	"context"
	"fmt"
	"slices"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"costbot/models"
)

// Collector lists one service's billable resources in one region. cfg.Region is already
// set to the task's region (us-east-1 for a global collector).
type Collector interface {
	Name() string
	Global() bool
	Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error)
}

// RegionSelector is implemented by collectors that exist only in some regions, or that
// run in an extra pseudo-region (models.GlobalRegion) besides the configured ones.
// Regions returns the task regions for the configured ones.
type RegionSelector interface {
	Regions(configured []string) []string
}

// TaskCollector is implemented by collectors that must know their task's region when it
// is not cfg.Region: the global pseudo-region's task runs with cfg.Region us-east-1, as
// does a configured us-east-1 task. The scan calls CollectTask instead of Collect.
type TaskCollector interface {
	CollectTask(ctx context.Context, cfg awssdk.Config, taskRegion string) ([]models.Resource, error)
}

var (
	registryMu sync.Mutex
	registry   = map[string]Collector{}
)

// register adds a collector; each service file calls it from init.
func register(c Collector) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[c.Name()]; dup {
		panic(fmt.Sprintf("aws: collector %q registered twice", c.Name()))
	}
	registry[c.Name()] = c
}

// Collectors returns the registered collectors for the named services, in the order given.
// Unknown names are skipped.
func Collectors(services []string) []Collector {
	registryMu.Lock()
	defer registryMu.Unlock()
	var out []Collector
	for _, name := range services {
		if c, ok := registry[name]; ok {
			out = append(out, c)
		}
	}
	return out
}

// registered returns the names of every registered collector, sorted.
func registered() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// taskRegions says where a collector runs for the configured regions.
func taskRegions(c Collector, configured []string) []string {
	if rs, ok := c.(RegionSelector); ok {
		return rs.Regions(configured)
	}
	if c.Global() {
		return []string{models.GlobalRegion}
	}
	return configured
}

// intersect keeps the configured regions that are in supported, in configured order.
func intersect(configured, supported []string) []string {
	var out []string
	for _, r := range configured {
		if slices.Contains(supported, r) {
			out = append(out, r)
		}
	}
	return out
}
