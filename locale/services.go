package locale

// displayNames are the services as AWS writes them, the same in every language.
var displayNames = map[string]string{
	"ec2": "EC2", "rds": "RDS", "lambda": "Lambda", "s3": "S3", "ebs": "EBS", "vpc": "VPC",
	"fsx": "FSx", "cloudwatch": "CloudWatch", "waf": "WAF", "q": "Amazon Q",
	"cloudfront": "CloudFront", "lightsail": "Lightsail", "elb": "ELB",
}

// DisplayName is a service as AWS writes it ("ec2" is EC2, "q" is Amazon Q); a service
// costbot does not know shows as given.
func DisplayName(service string) string {
	if n, ok := displayNames[service]; ok {
		return n
	}
	return service
}
