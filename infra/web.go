package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"

	"github.com/fangxian/fangxian/internal/console"
)

// WebDomain is the one domain of the console and the API (CloudFront's):
// in the global regions with an ACM certificate in us-east-1 (CloudFront's
// certificates live there); in China, where CloudFront serves only an
// ICP-filed name and takes no ACM certificate, with a certificate
// uploaded to IAM.
type WebDomain struct {
	Name             string
	CertificateArn   string
	IAMCertificateID string
}

// check refuses a web domain that cannot deploy in partition.
func (d WebDomain) check(partition string) error {
	if partition == "aws-cn" {
		if d.Name == "" || d.IAMCertificateID == "" {
			return fmt.Errorf("CloudFront in China serves only an ICP-filed domain with a certificate in IAM: give -c webDomainName=… -c webIamCertificateId=…")
		}
		if d.CertificateArn != "" {
			return fmt.Errorf("CloudFront in China takes no ACM certificate: give webIamCertificateId, not webCertificateArn")
		}
		return nil
	}
	if d.IAMCertificateID != "" {
		return fmt.Errorf("webIamCertificateId is for the China regions: give webCertificateArn (ACM, us-east-1)")
	}
	if (d.Name == "") != (d.CertificateArn == "") {
		return fmt.Errorf("webDomainName and webCertificateArn go together")
	}
	if d.CertificateArn != "" && !strings.HasPrefix(d.CertificateArn, "arn:aws:acm:us-east-1:") {
		return fmt.Errorf("webCertificateArn %q: CloudFront takes ACM certificates of us-east-1 only", d.CertificateArn)
	}
	return nil
}

// newWeb puts the console's build (dir) in a private bucket behind
// CloudFront, with the API on the same distribution under /v1/*: one
// domain, no CORS. The bucket is read by CloudFront only (origin access
// control; an origin access identity in China). It answers the site's URL.
func newWeb(stack awscdk.Stack, props *StackProps, dir string, api awsapigatewayv2.HttpApi, removal awscdk.RemovalPolicy, retention awslogs.RetentionDays) *string {
	s := props.Settings
	bucket := awss3.NewBucket(stack, jsii.String("ConsoleBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     removal,
		// The files are the build's: a disposable stage takes them with it.
		AutoDeleteObjects: jsii.Bool(!props.prodLike()),
	})
	var files awscloudfront.IOrigin
	if s.Partition == "aws-cn" {
		files = awscloudfrontorigins.S3BucketOrigin_WithOriginAccessIdentity(bucket, nil)
	} else {
		files = awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil)
	}
	// The API's own host: its custom domain when it has one (the default
	// endpoint is then off), else the execute-api host.
	apiHost := jsii.String(s.Domain.Name)
	if s.Domain.Name == "" {
		apiHost = awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), api.ApiEndpoint(), nil))
	}
	apiOrigin := awscloudfrontorigins.NewHttpOrigin(apiHost, &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		// API Gateway gives up at 30 s: so does CloudFront, not earlier.
		ReadTimeout: awscdk.Duration_Seconds(jsii.Number(30)),
	})
	headers := awscloudfront.NewResponseHeadersPolicy(stack, jsii.String("ConsoleHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Fangxian console: same-origin only"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{ContentSecurityPolicy: jsii.String(console.CSP), Override: jsii.Bool(true)},
			ContentTypeOptions:    &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions:          &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ReferrerPolicy:        &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(365)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true)},
		},
	})
	dp := &awscloudfront.DistributionProps{
		Comment: jsii.String("Fangxian " + props.Stage + ": the console and the API on one domain"),
		// The console lives under /console/ (its assets' paths); the site's
		// root serves its page.
		DefaultRootObject: jsii.String(strings.TrimPrefix(console.Prefix, "/") + "index.html"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                files,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
		},
		AdditionalBehaviors: &map[string]*awscloudfront.BehaviorOptions{
			"/v1/*": {
				Origin:               apiOrigin,
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				// Nothing of the API is cached; everything but Host reaches it.
				CachePolicy:         awscloudfront.CachePolicy_CACHING_DISABLED(),
				OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			},
		},
		HttpVersion: awscloudfront.HttpVersion_HTTP2,
	}
	if s.Partition != "aws-cn" && s.Web.Name != "" {
		// The protocol floor applies to a certificate of ours; CloudFront's
		// own name keeps its fixed policy.
		dp.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
		dp.DomainNames = jsii.Strings(s.Web.Name)
		dp.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("WebCertificate"), jsii.String(s.Web.CertificateArn))
	}
	dist := awscloudfront.NewDistribution(stack, jsii.String("Web"), dp)
	if s.Partition == "aws-cn" {
		// Distribution takes ACM certificates only: China's is IAM's, set on
		// the template itself.
		cfn := dist.Node().DefaultChild().(awscloudfront.CfnDistribution)
		cfn.AddPropertyOverride(jsii.String("DistributionConfig.Aliases"), jsii.Strings(s.Web.Name))
		cfn.AddPropertyOverride(jsii.String("DistributionConfig.ViewerCertificate"), map[string]any{
			"IamCertificateId": s.Web.IAMCertificateID, "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021",
		})
	}
	awss3deployment.NewBucketDeployment(stack, jsii.String("ConsoleFiles"), &awss3deployment.BucketDeploymentProps{
		Sources:              &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(dir), nil)},
		DestinationBucket:    bucket,
		DestinationKeyPrefix: jsii.String(strings.TrimPrefix(console.Prefix, "/")),
		// Its log keeps as long as the stage's others, not the default two years.
		LogGroup: awslogs.NewLogGroup(stack, jsii.String("ConsoleDeployLogs"), &awslogs.LogGroupProps{Retention: retention, RemovalPolicy: removal}),
		// A new build's page is fetched at once; its assets are new names.
		Distribution:      dist,
		DistributionPaths: jsii.Strings("/", console.Prefix+"index.html"),
	})
	url := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), dist.DistributionDomainName()})
	if s.Web.Name != "" {
		url = jsii.String("https://" + s.Web.Name)
		awscdk.NewCfnOutput(stack, jsii.String("WebDomainTarget"), &awscdk.CfnOutputProps{
			Value:       dist.DistributionDomainName(),
			Description: jsii.String("Point " + s.Web.Name + " here (a CNAME record): the console and the API answer on it"),
		})
	}
	awscdk.NewCfnOutput(stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Value:       url,
		Description: jsii.String("The office console, and the API under /v1/ on the same domain"),
	})
	return url
}
