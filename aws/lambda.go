package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"costbot/models"
)

func init() { register(newLambdaCollector()) }

// lambdaAPI is the part of Lambda the collector uses.
type lambdaAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
}

// lambdaCollector lists functions with last hour's invocations and billed duration.
type lambdaCollector struct {
	client  func(awssdk.Config) lambdaAPI
	metrics func(awssdk.Config) MetricsAPI
	now     func() time.Time
}

func newLambdaCollector() *lambdaCollector {
	return &lambdaCollector{
		client:  func(cfg awssdk.Config) lambdaAPI { return lambda.NewFromConfig(cfg) },
		metrics: func(cfg awssdk.Config) MetricsAPI { return newCloudWatch(cfg) },
		now:     time.Now,
	}
}

func (c *lambdaCollector) Name() string { return "lambda" }
func (c *lambdaCollector) Global() bool { return false }

// lambdaUsage is one function's last full hour.
type lambdaUsage struct {
	Invocations float64
	DurationMs  float64
}

func (c *lambdaCollector) Collect(ctx context.Context, cfg awssdk.Config) ([]models.Resource, error) {
	var functions []lambdatypes.FunctionConfiguration
	p := lambda.NewListFunctionsPaginator(c.client(cfg), &lambda.ListFunctionsInput{MaxItems: awssdk.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("lambda %s: list functions: %w", cfg.Region, err)
		}
		functions = append(functions, page.Functions...)
	}

	start, end := lastHour(c.now())
	usage, err := functionUsage(ctx, c.metrics(cfg), functions, start, end)
	if err != nil {
		return nil, fmt.Errorf("lambda %s: %w", cfg.Region, err)
	}
	return lambdaFunctions(functions, usage, cfg.Region), nil
}

// functionUsage sums each function's Invocations and Duration (milliseconds, all
// versions and aliases) between start and end, every function in one batch of reads.
func functionUsage(ctx context.Context, cw MetricsAPI, functions []lambdatypes.FunctionConfiguration, start, end time.Time) ([]lambdaUsage, error) {
	queries := make([]metricQuery, 0, 2*len(functions))
	for _, fn := range functions {
		for _, metric := range []string{"Invocations", "Duration"} {
			queries = append(queries, metricQuery{
				Namespace:  "AWS/Lambda",
				Metric:     metric,
				Dimensions: map[string]string{"FunctionName": awssdk.ToString(fn.FunctionName)},
				Stat:       cwtypes.StatisticSum,
			})
		}
	}
	series, err := readMetrics(ctx, cw, queries, start, end, end.Sub(start))
	if err != nil {
		return nil, err
	}
	usage := make([]lambdaUsage, len(functions))
	for i := range functions {
		usage[i] = lambdaUsage{Invocations: series[2*i].Sum(), DurationMs: series[2*i+1].Sum()}
	}
	return usage, nil
}

// lambdaFunctions turns functions into resources of region; usage[i] is function i's.
func lambdaFunctions(functions []lambdatypes.FunctionConfiguration, usage []lambdaUsage, region string) []models.Resource {
	out := make([]models.Resource, 0, len(functions))
	for i, fn := range functions {
		arch := string(lambdatypes.ArchitectureX8664)
		if len(fn.Architectures) > 0 {
			arch = string(fn.Architectures[0])
		}
		name := awssdk.ToString(fn.FunctionName)
		out = append(out, models.Resource{
			Service: "lambda",
			Region:  region,
			ID:      name,
			Name:    name,
			Kind:    models.KindFunction,
			Type:    arch,
			State:   string(fn.State),
			Attrs:   map[string]string{"runtime": string(fn.Runtime)},
			Usage: map[string]float64{
				"memory_mb":        float64(awssdk.ToInt32(fn.MemorySize)),
				"invocations_hour": usage[i].Invocations,
				"duration_ms_hour": usage[i].DurationMs,
			},
		})
	}
	return out
}
